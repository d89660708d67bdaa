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
	// One level at a time (via the parents of a name inside cp) so that each
	// new directory can be given to the workspace owner.
	if _, err := r.mkParents(op, cp+"/x"); err != nil {
		return false, err
	}
	return true, nil
}
