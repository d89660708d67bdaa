package files

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// WriteOptions bind a write to the state the plan saw.
type WriteOptions struct {
	Mode           fs.FileMode // permission bits; 0 keeps the existing file's bits, or 0644 for a new file
	CreateOnly     bool        // fail with Exists if the file exists
	ExpectedSHA256 string      // "" means don't check; otherwise the file must exist with this hash (Changed)
	ExpectAbsent   bool        // the plan saw no file: fail with Changed if one exists now
}

// WriteResult describes the file as written.
type WriteResult struct {
	SHA256  string
	Size    int64
	Created bool
}

// Write replaces the regular file at p with content, atomically: the content goes to a fresh temporary file in
// the same directory, is synced, and is renamed over the target, so a reader sees the old or the new file and
// the old inode (which a hard link outside could share) is never written. Missing parent directories are
// created. A symbolic link at p is refused rather than replaced or followed, because either would surprise
// whoever approved "write p".
func (r *Root) Write(p string, content []byte, o WriteOptions) (WriteResult, error) {
	const op = "write_file"
	cp, err := cleanPath(op, p)
	if err != nil {
		return WriteResult{}, err
	}
	if cp == "." {
		return WriteResult{}, newErr(WrongType, op, cp, "is the workspace root directory")
	}
	if int64(len(content)) > r.lim.MaxFileBytes {
		return WriteResult{}, newErr(TooLarge, op, cp, "content larger than the configured limit")
	}
	fi, exists, err := r.checkWriteTarget(op, cp, o.ExpectedSHA256, o.CreateOnly, o.ExpectAbsent)
	if err != nil {
		return WriteResult{}, err
	}
	mode := o.Mode.Perm()
	if mode == 0 {
		mode = 0o644
		if exists {
			mode = fi.Mode().Perm()
		}
	}
	if _, err := r.mkParents(op, cp); err != nil {
		return WriteResult{}, err
	}
	tmp, err := r.stage(op, cp, content, mode)
	if err != nil {
		return WriteResult{}, err
	}
	// Re-check as late as possible: a link, directory or hash change that arrived while we staged is caught
	// here; anything later is defeated by rename, which replaces the entry and never follows it.
	_, nowExists, err := r.checkWriteTarget(op, cp, o.ExpectedSHA256, o.CreateOnly, o.ExpectAbsent)
	if err == nil {
		err = r.put(op, tmp, cp, o.CreateOnly || o.ExpectAbsent)
	}
	if err != nil {
		_ = r.root.Remove(tmp)
		return WriteResult{}, err
	}
	r.syncDir(parentDir(cp))
	return WriteResult{SHA256: SHA256Hex(content), Size: int64(len(content)), Created: !nowExists}, nil
}

// checkWriteTarget returns the current file (if any) after proving it may be replaced.
func (r *Root) checkWriteTarget(op, p, expected string, createOnly, expectAbsent bool) (fs.FileInfo, bool, error) {
	fi, exists, err := r.lstat(op, p)
	if err != nil {
		return nil, false, err
	}
	if !exists {
		if expected != "" {
			return nil, false, newErr(Changed, op, p, "file was removed since the plan")
		}
		return nil, false, nil
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return nil, false, newErr(WrongType, op, p, "is a symbolic link; refusing to write through it")
	case fi.IsDir():
		return nil, false, newErr(WrongType, op, p, "is a directory")
	case !fi.Mode().IsRegular():
		return nil, false, newErr(WrongType, op, p, "not a regular file")
	}
	if err := refuseHardLink(op, p, fi); err != nil {
		return nil, false, err
	}
	if createOnly {
		return nil, false, newErr(Exists, op, p, "file already exists")
	}
	if expectAbsent {
		return nil, false, newErr(Changed, op, p, "file was created since the plan")
	}
	if err := r.checkHash(op, p, expected); err != nil {
		return nil, false, err
	}
	return fi, true, nil
}

// mkParents creates the missing parent directories of p, one level at a time so that it can report which it
// created (Commit removes them again on rollback).
func (r *Root) mkParents(op, p string) ([]string, error) {
	dir := parentDir(p)
	if dir == "." {
		return nil, nil
	}
	var created []string
	for i := 0; i <= len(dir); i++ {
		if i < len(dir) && dir[i] != '/' {
			continue
		}
		d := dir[:i]
		fi, err := r.root.Stat(d) // follows links, which os.Root keeps inside the workspace
		switch {
		case err == nil && fi.IsDir():
			continue
		case err == nil:
			return created, newErr(WrongType, op, p, "a parent path component is not a directory")
		case !errors.Is(err, syscall.ENOENT):
			return created, osErr(op, p, err)
		}
		if err := r.root.Mkdir(d, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return created, osErr(op, p, err)
		} else if err == nil {
			created = append(created, d)
			if err := r.own(d); err != nil {
				return created, osErr(op, p, err)
			}
		}
	}
	return created, nil
}

// stage writes content to a new temporary file beside p and returns its workspace path. O_EXCL means the name
// cannot be a pre-planted symbolic link or someone else's file.
func (r *Root) stage(op, p string, content []byte, mode fs.FileMode) (string, error) {
	var (
		f   *os.File
		tmp string
		err error
	)
	for range 8 {
		tmp = tempName(parentDir(p), "tmp")
		f, err = r.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	if err != nil {
		return "", osErr(op, p, err)
	}
	fail := func(err error) (string, error) {
		f.Close()
		_ = r.root.Remove(tmp)
		return "", osErr(op, p, err)
	}
	if _, err := f.Write(content); err != nil {
		return fail(err)
	}
	// Chmod on the descriptor, not the name: not subject to umask, and cannot be redirected by a swapped link.
	if err := f.Chmod(mode); err != nil {
		return fail(err)
	}
	if r.owner != nil {
		if err := f.Chown(r.owner.uid, r.owner.gid); err != nil {
			return fail(err)
		}
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		_ = r.root.Remove(tmp)
		return "", osErr(op, p, err)
	}
	return tmp, nil
}

// put moves the staged file tmp to p. With noReplace it uses link+unlink so that a file created at p meanwhile
// makes it fail instead of being silently overwritten; on file systems without hard links it falls back to a
// rename after one more existence check.
func (r *Root) put(op, tmp, p string, noReplace bool) error {
	if noReplace {
		err := r.root.Link(tmp, p)
		switch {
		case err == nil:
			_ = r.root.Remove(tmp)
			return nil
		case errors.Is(err, fs.ErrExist):
			return newErr(Exists, op, p, "file was created concurrently")
		case errors.Is(err, syscall.EPERM), errors.Is(err, syscall.ENOTSUP), errors.Is(err, syscall.EMLINK):
			if _, ok, lerr := r.lstat(op, p); lerr != nil || ok {
				if lerr != nil {
					return lerr
				}
				return newErr(Exists, op, p, "file was created concurrently")
			}
		default:
			return osErr(op, p, err)
		}
	}
	if err := r.root.Rename(tmp, p); err != nil {
		return osErr(op, p, err)
	}
	return nil
}

// syncDir makes a rename durable. Failure is ignored: the rename already happened and is visible, and callers
// cannot act on a durability error.
func (r *Root) syncDir(dir string) {
	if d, err := r.root.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// tempName returns a hidden, unguessable name in dir.
func tempName(dir, kind string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	name := ".airlock-" + kind + "-" + hex.EncodeToString(b[:])
	if dir == "." {
		return name
	}
	return dir + "/" + name
}
