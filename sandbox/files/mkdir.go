package files

// MakeDir creates p and any missing parents. created reports whether p did not exist before; an existing
// directory (or a link to one inside the workspace) is not an error, anything else at p is WrongType.
func (r *Root) MakeDir(p string) (created bool, err error) {
	const op = "make_dir"
	cp, err := cleanPath(op, p)
	if err != nil {
		return false, err
	}
	if cp == "." {
		return false, nil
	}
	if fi, err := r.root.Stat(cp); err == nil {
		if fi.IsDir() {
			return false, nil
		}
		return false, newErr(WrongType, op, cp, "exists and is not a directory")
	}
	if err := r.root.MkdirAll(cp, 0o755); err != nil {
		return false, osErr(op, cp, err)
	}
	return true, nil
}
