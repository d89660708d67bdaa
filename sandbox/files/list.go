package files

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"sort"
)

// Entry is one listed path.
type Entry struct {
	Path string      // workspace-relative
	Type string      // file, dir, symlink or other
	Size int64       // as Lstat reports it
	Mode fs.FileMode // as Lstat reports it
}

// List returns the entries under directory p, sorted by path, never following symbolic links (a link is listed
// as "symlink" and not descended into). maxDepth and maxEntries of 0 take the Root's limits and larger values are
// clamped to them. When truncated is true the walk stopped at maxEntries: which entries made it in then depends
// on directory order, but the result is still sorted.
func (r *Root) List(p string, recursive bool, maxDepth, maxEntries int) ([]Entry, bool, error) {
	const op = "list_files"
	if maxDepth < 0 || maxEntries < 0 {
		return nil, false, newErr(InvalidArgument, op, "", "max depth and max entries must not be negative")
	}
	cp, err := cleanPath(op, p)
	if err != nil {
		return nil, false, err
	}
	if maxDepth == 0 || maxDepth > r.lim.MaxListDepth {
		maxDepth = r.lim.MaxListDepth
	}
	if !recursive {
		maxDepth = 1
	}
	if maxEntries == 0 || maxEntries > r.lim.MaxListEntries {
		maxEntries = r.lim.MaxListEntries
	}
	fi, ok, err := r.lstat(op, cp)
	if err != nil {
		return nil, false, err
	}
	switch {
	case !ok:
		return nil, false, newErr(NotFound, op, cp, "no such file or directory")
	case fi.Mode()&fs.ModeSymlink != 0:
		return nil, false, newErr(WrongType, op, cp, "is a symbolic link; list its target instead")
	case !fi.IsDir():
		return nil, false, newErr(WrongType, op, cp, "not a directory")
	}
	w := lister{r: r, op: op, max: maxEntries, maxDepth: maxDepth}
	if err := w.walk(cp, fi, 1); err != nil {
		return nil, false, err
	}
	sort.Slice(w.out, func(i, j int) bool { return w.out[i].Path < w.out[j].Path })
	return w.out, w.truncated, nil
}

type lister struct {
	r         *Root
	op        string
	max       int
	maxDepth  int
	out       []Entry
	truncated bool
}

// walk lists dir, whose Lstat result is want. It proves the opened directory is the one it lstat-ed, so a
// directory swapped for a symbolic link mid-walk is skipped rather than followed.
func (w *lister) walk(dir string, want fs.FileInfo, depth int) error {
	f, err := w.r.root.Open(dir)
	if err != nil {
		if dir != "." && errors.Is(err, fs.ErrNotExist) {
			return nil // removed while we walked
		}
		return osErr(w.op, dir, err)
	}
	defer f.Close()
	got, err := f.Stat()
	if err != nil {
		return osErr(w.op, dir, err)
	}
	if !got.IsDir() || !os.SameFile(got, want) {
		return nil
	}
	var subdirs []Entry
	var subinfo []fs.FileInfo
	for !w.truncated {
		des, err := f.ReadDir(256)
		for _, de := range des {
			if len(w.out) >= w.max {
				w.truncated = true
				break
			}
			fi, ierr := de.Info()
			if ierr != nil {
				continue // removed while we walked
			}
			e := Entry{Path: joinPath(dir, de.Name()), Type: entryType(fi.Mode()), Size: fi.Size(), Mode: fi.Mode()}
			w.out = append(w.out, e)
			if e.Type == "dir" {
				subdirs = append(subdirs, e)
				subinfo = append(subinfo, fi)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return osErr(w.op, dir, err)
		}
	}
	if depth >= w.maxDepth {
		return nil
	}
	for i, sd := range subdirs {
		if w.truncated {
			break
		}
		if err := w.walk(sd.Path, subinfo[i], depth+1); err != nil {
			return err
		}
	}
	return nil
}

func entryType(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "file"
	case m.IsDir():
		return "dir"
	case m&fs.ModeSymlink != 0:
		return "symlink"
	default:
		return "other"
	}
}

func joinPath(dir, name string) string {
	if dir == "." {
		return name
	}
	return dir + "/" + name
}
