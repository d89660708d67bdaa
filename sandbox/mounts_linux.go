package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"

	"golang.org/x/sys/unix"
)

// mountResult records what the mount namespace setup achieved, for the
// Landlock rules and the layer report.
type mountResult struct {
	proc       bool
	privateTmp bool
	readOnly   bool
}

// setupMounts prepares the launcher's private mount namespace. A failure
// that would leave the command with a view we did not intend (a shared
// propagation, a workspace we could not re-expose) is an error; a layer we
// merely could not add (proc, tmpfs) is reported as absent.
func setupMounts(ls *launchSpec) (mountResult, error) {
	var mr mountResult
	// Nothing we mount may propagate back to the host.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return mr, fmt.Errorf("make mounts private: %w", err)
	}
	if ls.NS.PID {
		// Without a fresh proc, /proc would list the host's processes.
		err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "")
		mr.proc = err == nil
	}
	ws, err := openWorkspace(ls)
	if err != nil {
		return mr, err
	}
	defer unix.Close(ws)
	opts := "mode=1777,size=" + strconv.FormatInt(ls.TmpBytes, 10)
	if err := unix.Mount("tmpfs", "/tmp", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, opts); err == nil {
		mr.privateTmp = true
		if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
			if err := unix.Mount("tmpfs", "/dev/shm", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, opts); err != nil {
				mr.privateTmp = false
			}
		}
		if err := reexpose(ws, ls.Workspace); err != nil {
			return mr, err
		}
	}
	if len(ls.ReadOnlyPaths) > 0 {
		// Re-open by path: if the workspace was re-bound above, the
		// read-only mounts must sit on the visible mount, not the hidden one.
		vis, err := openDir(ls.Workspace)
		if err != nil {
			return mr, fmt.Errorf("reopen workspace: %w", err)
		}
		defer unix.Close(vis)
		if !sameFile(vis, ws) {
			return mr, errors.New("workspace changed while mounting")
		}
		for _, rel := range ls.ReadOnlyPaths {
			if err := bindReadOnly(vis, rel); err != nil {
				return mr, fmt.Errorf("read-only %q: %w", rel, err)
			}
		}
		mr.readOnly = true
	}
	return mr, nil
}

// reexpose binds the workspace back at its own path when the private /tmp
// has hidden it (workspaces under /tmp are common in tests and CI).
func reexpose(ws int, path string) error {
	if cur, err := openDir(path); err == nil {
		same := sameFile(cur, ws)
		unix.Close(cur)
		if same {
			return nil
		}
	}
	if err := os.MkdirAll(path, 0o755); err != nil {
		return fmt.Errorf("workspace mount point: %w", err)
	}
	src := "/proc/self/fd/" + strconv.Itoa(ws)
	if err := unix.Mount(src, path, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("re-expose workspace: %w", err)
	}
	return nil
}

// bindReadOnly puts a read-only bind of rel over itself. The path is
// resolved beneath the workspace without following any symlink, because the
// workspace content is written by earlier, untrusted commands. A missing
// path whose parent exists is created as an empty directory first, so that
// a command cannot create, say, .git/hooks and fill it.
func bindReadOnly(ws int, rel string) error {
	how := &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_CLOEXEC | unix.O_NOFOLLOW,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	}
	fd, err := unix.Openat2(ws, rel, how)
	if errors.Is(err, unix.ENOENT) {
		parent, perr := unix.Openat2(ws, path.Dir(rel), &unix.OpenHow{
			Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC | unix.O_NOFOLLOW, Resolve: how.Resolve})
		if perr != nil {
			return nil // nothing there to protect, nor a place to create it
		}
		merr := unix.Mkdirat(parent, path.Base(rel), 0o755)
		unix.Close(parent)
		if merr != nil && !errors.Is(merr, unix.EEXIST) {
			return fmt.Errorf("create: %w", merr)
		}
		fd, err = unix.Openat2(ws, rel, how)
	}
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("stat: %w", err)
	}
	if t := st.Mode & unix.S_IFMT; t != unix.S_IFDIR && t != unix.S_IFREG {
		return fmt.Errorf("not a directory or regular file")
	}
	tree, err := unix.OpenTree(fd, "", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_EMPTY_PATH)
	if err != nil {
		return fmt.Errorf("open_tree: %w", err)
	}
	defer unix.Close(tree)
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV}
	if err := unix.MountSetattr(tree, "", unix.AT_EMPTY_PATH, attr); err != nil {
		return fmt.Errorf("mount_setattr: %w", err)
	}
	if err := unix.MoveMount(tree, "", fd, "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH); err != nil {
		return fmt.Errorf("move_mount: %w", err)
	}
	return nil
}

// bringUpLoopback lets the command use 127.0.0.1 inside its own network
// namespace (test servers); the host's loopback stays unreachable.
func bringUpLoopback() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

func openDir(path string) (int, error) {
	return unix.Open(path, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
}

func sameFile(a, b int) bool {
	var sa, sb unix.Stat_t
	if unix.Fstat(a, &sa) != nil || unix.Fstat(b, &sb) != nil {
		return false
	}
	return sa.Dev == sb.Dev && sa.Ino == sb.Ino
}
