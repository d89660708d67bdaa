package files

import "strings"

// Move renames from to to inside the workspace, creating missing parents of to. An existing to is refused with
// Exists unless overwrite is set, and a directory is never overwritten. Neither side may be the workspace root.
//
// The existence check and the rename are two steps (os.Root has no RENAME_NOREPLACE), so a file created at to in
// between may be replaced; both paths are inside the workspace, so this can lose a concurrent write but never
// escape.
func (r *Root) Move(from, to string, overwrite bool) error {
	const op = "move_file"
	cf, err := cleanPath(op, from)
	if err != nil {
		return err
	}
	ct, err := cleanPath(op, to)
	if err != nil {
		return err
	}
	if cf == "." || ct == "." {
		return newErr(InvalidPath, op, cf, "cannot move the workspace root or onto it")
	}
	if cf == ct {
		return newErr(InvalidArgument, op, cf, "source and destination are the same")
	}
	if strings.HasPrefix(ct, cf+"/") {
		return newErr(InvalidArgument, op, cf, "cannot move a directory into itself")
	}
	fi, ok, err := r.lstat(op, cf)
	if err != nil {
		return err
	}
	if !ok {
		return newErr(NotFound, op, cf, "no such file or directory")
	}
	if err := refuseHardLink(op, cf, fi); err != nil {
		return err
	}
	ti, ok, err := r.lstat(op, ct)
	if err != nil {
		return err
	}
	if ok {
		switch {
		case !overwrite:
			return newErr(Exists, op, ct, "destination exists")
		case ti.IsDir():
			return newErr(WrongType, op, ct, "destination is a directory")
		}
		if err := refuseHardLink(op, ct, ti); err != nil {
			return err
		}
	}
	if _, err := r.mkParents(op, ct); err != nil {
		return err
	}
	if err := r.root.Rename(cf, ct); err != nil {
		return osErr(op, cf, err)
	}
	r.syncDir(parentDir(ct))
	return nil
}
