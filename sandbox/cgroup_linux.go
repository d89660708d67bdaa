package sandbox

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

const cgroupRoot = "/sys/fs/cgroup"

// defaultCgroupParent is used only as root on a pure cgroup v2 host; an
// unprivileged server needs a delegated CgroupParent configured.
func defaultCgroupParent() string {
	if os.Geteuid() != 0 || !isCgroup2(cgroupRoot) {
		return ""
	}
	return path.Join(cgroupRoot, "airlock")
}

func isCgroup2(dir string) bool {
	var st unix.Statfs_t
	return unix.Statfs(dir, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
}

var (
	cgroupPrepMu   sync.Mutex
	cgroupPrepared = map[string]error{}
)

// prepareCgroupParent creates dir and enables the pids and memory
// controllers for its children, once per directory. The parent holds no
// processes itself (cgroup v2's no-internal-process rule).
func prepareCgroupParent(dir string) error {
	cgroupPrepMu.Lock()
	defer cgroupPrepMu.Unlock()
	if err, ok := cgroupPrepared[dir]; ok {
		return err
	}
	err := func() error {
		if !isCgroup2(path.Dir(dir)) {
			return errors.New("not on a cgroup v2 hierarchy")
		}
		if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
		if !hasControllers(path.Join(dir, "cgroup.controllers")) {
			// Ask the parent of dir to hand the controllers down (allowed
			// for root at the top of the hierarchy; may fail elsewhere).
			_ = os.WriteFile(path.Join(path.Dir(dir), "cgroup.subtree_control"), []byte("+pids +memory"), 0)
			if !hasControllers(path.Join(dir, "cgroup.controllers")) {
				return errors.New("pids and memory controllers not delegated")
			}
		}
		if err := os.WriteFile(path.Join(dir, "cgroup.subtree_control"), []byte("+pids +memory"), 0); err != nil {
			return fmt.Errorf("enable controllers: %w", err)
		}
		return nil
	}()
	if err != nil {
		err = fmt.Errorf("cgroup parent %s: %w", dir, err)
	}
	cgroupPrepared[dir] = err
	return err
}

func hasControllers(file string) bool {
	b, err := os.ReadFile(file)
	if err != nil {
		return false
	}
	f := strings.Fields(string(b))
	has := func(s string) bool {
		for _, x := range f {
			if x == s {
				return true
			}
		}
		return false
	}
	return has("pids") && has("memory")
}

// runCgroup is one run's cgroup; the launcher is cloned straight into it
// (CLONE_INTO_CGROUP), so no process ever runs unlimited.
type runCgroup struct {
	dir string
	fd  int
}

func newRunCgroup(parent string, maxProcs, memoryBytes int64) (*runCgroup, error) {
	if err := prepareCgroupParent(parent); err != nil {
		return nil, err
	}
	var b [8]byte
	if _, err := unix.Getrandom(b[:], 0); err != nil {
		return nil, err
	}
	dir := path.Join(parent, "run-"+hex.EncodeToString(b[:]))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, err
	}
	cg := &runCgroup{dir: dir, fd: -1}
	for file, v := range map[string]string{
		"pids.max":   strconv.FormatInt(maxProcs, 10),
		"memory.max": strconv.FormatInt(memoryBytes, 10),
	} {
		if err := os.WriteFile(path.Join(dir, file), []byte(v), 0); err != nil {
			cg.remove()
			return nil, fmt.Errorf("%s: %w", file, err)
		}
	}
	_ = os.WriteFile(path.Join(dir, "memory.swap.max"), []byte("0"), 0) // absent without swap accounting
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		cg.remove()
		return nil, err
	}
	cg.fd = fd
	return cg, nil
}

// kill ends every process in the cgroup (kernel 5.14+; older kernels rely
// on the PID namespace).
func (cg *runCgroup) kill() {
	_ = os.WriteFile(path.Join(cg.dir, "cgroup.kill"), []byte("1"), 0)
}

// remove kills what is left and removes the cgroup, retrying briefly while
// the last tasks are reaped.
func (cg *runCgroup) remove() {
	if cg.fd >= 0 {
		unix.Close(cg.fd)
		cg.fd = -1
	}
	cg.kill()
	for i := 0; i < 50; i++ {
		if err := unix.Rmdir(cg.dir); err == nil || errors.Is(err, unix.ENOENT) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
