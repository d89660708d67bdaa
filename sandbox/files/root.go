package files

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Root is an open workspace. It holds an os.Root (a directory file descriptor), so it keeps referring to the
// same directory even if the directory is renamed. Safe for concurrent use: all state is immutable after Open
// and os.Root is itself goroutine-safe.
type Root struct {
	root *os.Root
	dir  string
	lim  Limits
	// owner is the workspace directory's owner when the server runs as root
	// and the workspace belongs to someone else: new files and directories
	// are given to that owner, so that the owner (and the command sandbox,
	// which runs as the owner) can change them later.
	owner *owner

	// beforeApply, when set by a test, runs before Commit puts change i into place, so that a test can make a
	// rename fail midway without sleeping or racing.
	beforeApply func(i int)
}

// Open opens dir as a workspace. Limits with zero fields take their defaults.
func Open(dir string, lim Limits) (*Root, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, &Error{Code: InvalidPath, Op: "open", Msg: "cannot resolve workspace directory", Err: err}
	}
	rt, err := os.OpenRoot(abs)
	if err != nil {
		return nil, osErr("open", "", err)
	}
	r := &Root{root: rt, dir: abs, lim: lim.WithDefaults()}
	if os.Geteuid() == 0 {
		if fi, err := rt.Stat("."); err == nil {
			if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != 0 {
				r.owner = &owner{uid: int(st.Uid), gid: int(st.Gid)}
			}
		}
	}
	return r, nil
}

type owner struct{ uid, gid int }

// own gives a path this Root just created to the workspace owner (see
// Root.owner); a no-op otherwise.
func (r *Root) own(p string) error {
	if r.owner == nil {
		return nil
	}
	return r.root.Lchown(p, r.owner.uid, r.owner.gid)
}

// Close releases the directory handle. Operations after Close fail.
func (r *Root) Close() error { return r.root.Close() }

// Dir returns the host's absolute workspace directory. It is for server configuration and logs only; never
// send it to an agent.
func (r *Root) Dir() string { return r.dir }

// Limits returns the effective limits, defaults filled in.
func (r *Root) Limits() Limits { return r.lim }

// Info describes one path without following a symbolic link at its final component.
type Info struct {
	Path      string // cleaned workspace-relative path
	Exists    bool
	IsDir     bool
	IsSymlink bool
	IsRegular bool
	Size      int64
	Mode      fs.FileMode
	Nlink     uint64 // hard link count; more than 1 on a regular file blocks modification
}

func infoOf(p string, fi fs.FileInfo) Info {
	return Info{
		Path:      p,
		Exists:    true,
		IsDir:     fi.IsDir(),
		IsSymlink: fi.Mode()&fs.ModeSymlink != 0,
		IsRegular: fi.Mode().IsRegular(),
		Size:      fi.Size(),
		Mode:      fi.Mode(),
		Nlink:     nlink(fi),
	}
}

// Stat describes p with Lstat semantics. A missing path (or one whose parent is not a directory) is reported as
// Exists=false with a nil error, because "absent" is a normal planning fact, not a failure.
func (r *Root) Stat(p string) (Info, error) {
	cp, err := cleanPath("stat", p)
	if err != nil {
		return Info{}, err
	}
	fi, ok, err := r.lstat("stat", cp)
	if err != nil || !ok {
		return Info{Path: cp}, err
	}
	return infoOf(cp, fi), nil
}

// lstat returns ok=false for a missing path, and an Error for anything else that went wrong.
func (r *Root) lstat(op, p string) (fs.FileInfo, bool, error) {
	fi, err := r.root.Lstat(p)
	if err == nil {
		return fi, true, nil
	}
	if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ENOTDIR) {
		return nil, false, nil
	}
	return nil, false, osErr(op, p, err)
}

// openRegular opens p for reading and proves, on the open descriptor, that it is a regular file. The Lstat first
// keeps us from opening FIFOs (which block) or devices (which may act on open); O_NONBLOCK covers a swap between
// the two. A symbolic link at p is followed, but os.Root keeps the target inside the workspace.
func (r *Root) openRegular(op, p string) (*os.File, fs.FileInfo, error) {
	li, ok, err := r.lstat(op, p)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, newErr(NotFound, op, p, "no such file or directory")
	}
	return r.openRegularAfter(op, p, li)
}

// openRegularAfter is openRegular for a caller that has just made the Lstat itself (li).
func (r *Root) openRegularAfter(op, p string, li fs.FileInfo) (*os.File, fs.FileInfo, error) {
	if err := requireFileOrLink(op, p, li); err != nil {
		return nil, nil, err
	}
	f, err := r.root.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, osErr(op, p, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, osErr(op, p, err)
	}
	if err := requireFileOrLink(op, p, fi); err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

func requireFileOrLink(op, p string, fi fs.FileInfo) error {
	switch {
	case fi.Mode().IsRegular(), fi.Mode()&fs.ModeSymlink != 0:
		return nil
	case fi.IsDir():
		return newErr(WrongType, op, p, "is a directory")
	default:
		return newErr(WrongType, op, p, "not a regular file")
	}
}

// hashRegular returns the SHA-256 of the regular file at p, refusing files above MaxFileBytes.
func (r *Root) hashRegular(op, p string) (string, error) {
	f, fi, err := r.openRegular(op, p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if fi.Size() > r.lim.MaxFileBytes {
		return "", newErr(TooLarge, op, p, "file larger than the configured limit")
	}
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(f, r.lim.MaxFileBytes+1))
	if err != nil {
		return "", osErr(op, p, err)
	}
	if n > r.lim.MaxFileBytes {
		return "", newErr(TooLarge, op, p, "file larger than the configured limit")
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// checkHash enforces the optimistic-concurrency contract: the file must still have the hash the plan saw.
func (r *Root) checkHash(op, p, expected string) error {
	if expected == "" {
		return nil
	}
	got, err := r.hashRegular(op, p)
	if err != nil {
		if CodeOf(err) == NotFound {
			return newErr(Changed, op, p, "file was removed since the plan")
		}
		return err
	}
	if !strings.EqualFold(got, expected) {
		return newErr(Changed, op, p, "file changed since the plan (hash differs)")
	}
	return nil
}

// refuseHardLink blocks modifying an inode that another directory entry, possibly outside the workspace, shares.
func refuseHardLink(op, p string, fi fs.FileInfo) error {
	if fi.Mode().IsRegular() && nlink(fi) > 1 {
		return newErr(HardLink, op, p, "file has more than one hard link; refusing to modify it")
	}
	return nil
}

func parentDir(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return "."
}
