package files

import (
	"errors"
	"io/fs"
	"strings"
)

// Change is one file's part of a multi-file Commit, as the planner prepared it.
type Change struct {
	Path           string
	Op             string // create, modify or delete
	Content        []byte // new content for create and modify
	ExpectedSHA256 string // the state the plan saw; must be "" for create, which requires the file to be absent
	Mode           fs.FileMode
}

// Commit applies changes all-or-nothing as far as a running process can promise it:
//
//  1. every target is checked (absent for create; for modify and delete a regular file with one link and the
//     expected hash), then every new content is staged as a synced temporary file beside its target;
//  2. every target is checked again, so a change made while staging fails the whole commit with Changed,
//     HardLink or WrongType before anything is replaced;
//  3. the targets are replaced one by one, each modified or deleted file first kept as a hard-linked or renamed
//     backup; if any step fails, the ones already done are undone in reverse, temporary files and parent
//     directories the commit created are removed, and the first error is returned;
//  4. only after all succeed are the backups removed.
//
// It is not crash-atomic across files: if the process dies during step 3, some files may be new and some old,
// and hidden ".airlock-tmp-*" / ".airlock-bak-*" files may be left beside them. Each single file is always
// either its old or its new content. A failed rollback is reported as Internal, naming the paths left changed.
func (r *Root) Commit(changes []Change) error {
	const op = "commit"
	items := make([]*commitItem, 0, len(changes))
	seen := map[string]bool{}
	for _, c := range changes {
		it, err := r.newCommitItem(op, c)
		if err != nil {
			return err
		}
		if seen[it.path] {
			return newErr(InvalidArgument, op, it.path, "path changed twice in one commit")
		}
		seen[it.path] = true
		items = append(items, it)
	}
	for _, it := range items {
		if err := r.checkCommitItem(op, it); err != nil {
			return err
		}
	}
	var createdDirs []string
	cleanup := func() {
		for _, it := range items {
			if it.tmp != "" {
				_ = r.root.Remove(it.tmp)
			}
		}
		for i := len(createdDirs) - 1; i >= 0; i-- {
			_ = r.root.Remove(createdDirs[i]) // fails harmlessly if something else now lives there
		}
	}
	for _, it := range items {
		if it.c.Op == OpDelete {
			continue
		}
		dirs, err := r.mkParents(op, it.path)
		createdDirs = append(createdDirs, dirs...)
		if err == nil {
			it.tmp, err = r.stage(op, it.path, it.c.Content, it.mode)
		}
		if err != nil {
			cleanup()
			return err
		}
	}
	for _, it := range items {
		if err := r.checkCommitItem(op, it); err != nil {
			cleanup()
			return err
		}
	}
	for i, it := range items {
		if r.beforeApply != nil {
			r.beforeApply(i)
		}
		if err := r.applyItem(op, it); err != nil {
			if it.backup != "" {
				_ = r.root.Remove(it.backup) // a second link to the untouched original
			}
			if rerr := r.rollback(op, items[:i]); rerr != nil {
				cleanup()
				return rerr
			}
			cleanup()
			return err
		}
	}
	for _, it := range items {
		if it.backup != "" {
			_ = r.root.Remove(it.backup) // a leftover hidden backup is litter, not a failed commit
		}
		r.syncDir(parentDir(it.path))
	}
	return nil
}

type commitItem struct {
	c      Change
	path   string
	mode   fs.FileMode
	tmp    string // staged new content
	backup string // the previous file, kept until the commit is done
}

func (r *Root) newCommitItem(op string, c Change) (*commitItem, error) {
	p, err := cleanPath(op, c.Path)
	if err != nil {
		return nil, err
	}
	if p == "." {
		return nil, newErr(WrongType, op, p, "is the workspace root directory")
	}
	switch c.Op {
	case OpCreate:
		if c.ExpectedSHA256 != "" {
			return nil, newErr(InvalidArgument, op, p, "a create cannot expect an existing hash")
		}
	case OpModify, OpDelete:
	default:
		return nil, newErr(InvalidArgument, op, p, "unknown change operation")
	}
	if int64(len(c.Content)) > r.lim.MaxFileBytes {
		return nil, newErr(TooLarge, op, p, "content larger than the configured limit")
	}
	return &commitItem{c: c, path: p, mode: c.Mode.Perm()}, nil
}

// checkCommitItem verifies the target is still in the state the plan saw, and fills in the mode to keep.
func (r *Root) checkCommitItem(op string, it *commitItem) error {
	fi, exists, err := r.lstat(op, it.path)
	if err != nil {
		return err
	}
	if it.c.Op == OpCreate {
		if exists {
			return newErr(Changed, op, it.path, "file was created since the plan")
		}
		if it.mode == 0 {
			it.mode = 0o644
		}
		return nil
	}
	switch {
	case !exists:
		return newErr(Changed, op, it.path, "file was removed since the plan")
	case fi.Mode()&fs.ModeSymlink != 0:
		return newErr(WrongType, op, it.path, "is a symbolic link; refusing to write through it")
	case !fi.Mode().IsRegular():
		return newErr(WrongType, op, it.path, "not a regular file")
	}
	if err := refuseHardLink(op, it.path, fi); err != nil {
		return err
	}
	if err := r.checkHash(op, it.path, it.c.ExpectedSHA256); err != nil {
		return err
	}
	if it.mode == 0 {
		it.mode = fi.Mode().Perm()
	}
	return nil
}

func (r *Root) applyItem(op string, it *commitItem) error {
	switch it.c.Op {
	case OpCreate:
		if err := r.put(op, it.tmp, it.path, true); err != nil {
			return err
		}
		it.tmp = ""
	case OpModify:
		if err := r.requireRegular(op, it.path); err != nil {
			return err
		}
		// A hard link keeps the old file in place (no moment without a file) while giving us a way back.
		backup := tempName(parentDir(it.path), "bak")
		if err := r.root.Link(it.path, backup); err != nil {
			return osErr(op, it.path, err)
		}
		it.backup = backup
		if err := r.root.Rename(it.tmp, it.path); err != nil {
			return osErr(op, it.path, err)
		}
		it.tmp = ""
	case OpDelete:
		if err := r.requireRegular(op, it.path); err != nil {
			return err
		}
		backup := tempName(parentDir(it.path), "bak")
		if err := r.root.Rename(it.path, backup); err != nil {
			return osErr(op, it.path, err)
		}
		it.backup = backup
	}
	return nil
}

// requireRegular is the last look before replacing p: the checks ran a while ago, and a directory or link
// swapped in since would otherwise surface as an opaque EPERM from link(2).
func (r *Root) requireRegular(op, p string) error {
	fi, ok, err := r.lstat(op, p)
	switch {
	case err != nil:
		return err
	case !ok:
		return newErr(Changed, op, p, "file was removed since the plan")
	case !fi.Mode().IsRegular():
		return newErr(WrongType, op, p, "no longer a regular file")
	}
	return nil
}

// rollback undoes the applied items in reverse.
func (r *Root) rollback(op string, applied []*commitItem) error {
	var failed []string
	var errs []error
	for i := len(applied) - 1; i >= 0; i-- {
		it := applied[i]
		var err error
		switch it.c.Op {
		case OpCreate:
			err = r.root.Remove(it.path)
		case OpModify, OpDelete:
			err = r.root.Rename(it.backup, it.path)
			if err == nil {
				it.backup = ""
			}
		}
		if err != nil {
			failed = append(failed, it.path)
			errs = append(errs, err)
		}
	}
	if len(failed) > 0 {
		return &Error{Code: Internal, Op: op, Msg: "commit failed and could not restore: " + strings.Join(failed, ", "),
			Err: errors.Join(errs...)}
	}
	return nil
}
