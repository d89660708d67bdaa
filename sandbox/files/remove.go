package files

import (
	"errors"
	"io/fs"
	"syscall"
)

// Delete removes a regular file, a symbolic link (the link, never its target) or an empty directory. A non-empty
// directory is refused with NotEmpty: recursive deletion is too much power for one approved action. The workspace
// root is never deleted. expectedSHA256, when set, must match a regular file's content; set on anything else it
// fails with Changed, since the plan evidently saw a file there.
func (r *Root) Delete(p string, expectedSHA256 string) error {
	const op = "delete_file"
	cp, err := cleanPath(op, p)
	if err != nil {
		return err
	}
	if cp == "." {
		return newErr(InvalidPath, op, cp, "refusing to delete the workspace root")
	}
	fi, ok, err := r.lstat(op, cp)
	if err != nil {
		return err
	}
	if !ok {
		if expectedSHA256 != "" {
			return newErr(Changed, op, cp, "file was removed since the plan")
		}
		return newErr(NotFound, op, cp, "no such file or directory")
	}
	if fi.Mode().IsRegular() {
		if err := refuseHardLink(op, cp, fi); err != nil {
			return err
		}
		if err := r.checkHash(op, cp, expectedSHA256); err != nil {
			return err
		}
	} else if expectedSHA256 != "" {
		return newErr(Changed, op, cp, "no longer a regular file")
	}
	if err := r.root.Remove(cp); err != nil {
		if fi.IsDir() && (errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, fs.ErrExist)) {
			return &Error{Code: NotEmpty, Op: op, Path: cp, Msg: "directory is not empty", Err: err}
		}
		return osErr(op, cp, err)
	}
	r.syncDir(parentDir(cp))
	return nil
}
