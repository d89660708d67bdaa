package sandbox

import (
	"context"
	"fmt"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// waitDelay bounds how long Run waits for output pipes after the command
// ended: a descendant that escaped the kill (only possible without a PID
// namespace) must not hold Run hostage.
const waitDelay = 500 * time.Millisecond

// Run runs s inside the sandbox with a launcher started for this run (the
// cold path; a Pool keeps launchers started ahead). The error is non-nil
// only when the sandbox could not be started (bad spec, missing required
// layer, host failure) or when ctx was cancelled; a command that fails is a
// Result.
func Run(ctx context.Context, c Conf, s Spec) (*Result, error) {
	begin := time.Now()
	c.SetDefaults()
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("sandbox: conf: %w", err)
	}
	r, err := prepare(&c, &s)
	if err != nil {
		return nil, err
	}
	return r.runCold(ctx, launcherPath, begin)
}

// runPlan is one run decided before any launcher is involved: the checked
// spec, the launcher it needs (key) and what to tell that launcher.
type runPlan struct {
	c        *Conf
	s        *Spec
	key      spawnKey
	required []string
	// ls lacks the rlimits, which depend on whether the launcher got a
	// cgroup.
	ls launchSpec
}

// prepare checks s against c (which has its defaults and is valid) and
// decides everything that does not depend on a particular launcher.
func prepare(c *Conf, s *Spec) (*runPlan, error) {
	if err := checkSpec(c, s); err != nil {
		return nil, fmt.Errorf("sandbox: spec: %w", err)
	}
	ws, st, err := resolveDir(s.Workspace)
	if err != nil {
		return nil, fmt.Errorf("sandbox: workspace %q: %w", s.Workspace, err)
	}
	id, err := chooseIdentity(st)
	if err != nil {
		return nil, err
	}
	sup := Probe()
	ns := nsSet{User: sup.UserNS, Mount: sup.MountNS, PID: sup.PIDNS, Net: sup.NetNS && !s.Network, IPC: sup.IPCNS, UTS: sup.UTSNS}
	if !ns.User {
		// The launcher needs capabilities in its own user namespace to set
		// the others up; without one the run degrades to Landlock, seccomp
		// and limits, and the layer report says so.
		ns = nsSet{}
	}
	required := c.Required
	if s.Network {
		required = without(required, LayerNetNS)
	}
	cgParent := firstNonEmpty(c.CgroupParent, sup.CgroupParent)
	planned := append(nsLayers(ns), LayerEnvScrubbed, LayerTimeout)
	if cgParent != "" {
		planned = append(planned, LayerCgroup) // checked again once the launcher has (or lacks) its cgroup
	}
	var launcherRequired []string
	for _, r := range required {
		switch r {
		case LayerUserNS, LayerPIDNS, LayerMountNS, LayerNetNS, LayerIPCNS, LayerUTSNS, LayerCgroup, LayerEnvScrubbed, LayerTimeout:
			if !hasLayer(planned, r) {
				return nil, fmt.Errorf("sandbox: required layer %q is not available on this host", r)
			}
		default:
			launcherRequired = append(launcherRequired, r)
		}
	}
	return &runPlan{
		c: c, s: s, required: required,
		key: spawnKey{id: id, ns: ns, cgroupParent: cgParent, maxProcs: c.MaxProcs, memoryBytes: c.MemoryBytes,
			cgroupRequired: slices.Contains(required, LayerCgroup)},
		ls: launchSpec{
			Workspace: ws, WorkspaceDev: st.Dev, WorkspaceIno: st.Ino, Cwd: s.Cwd, Argv: s.Argv, Env: buildEnv(s.Env), NS: ns,
			ReadablePaths: c.ReadablePaths, ReadOnlyPaths: c.ReadOnlyPaths, TmpBytes: c.TmpBytes,
			Seccomp: !c.DisableSeccomp && sup.Seccomp, Network: s.Network, Required: launcherRequired,
		},
	}, nil
}

// resolveDir returns the directory p leads to, by its canonical path
// (every symlink resolved, as the kernel names it), and its stat, both
// from one open: the launcher is told to find exactly what was checked.
func resolveDir(p string) (string, *unix.Stat_t, error) {
	fd, err := unix.Open(p, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", nil, err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return "", nil, err
	}
	dir, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil {
		return "", nil, err
	}
	// A deleted or unreachable directory has a decorated name.
	if !path.IsAbs(dir) || path.Clean(dir) != dir || strings.HasSuffix(dir, " (deleted)") || dir == "/" {
		return "", nil, fmt.Errorf("no usable path (%q)", dir)
	}
	return dir, &st, nil
}

// runCold starts a launcher for this run and runs on it.
func (r *runPlan) runCold(ctx context.Context, exe string, begin time.Time) (*Result, error) {
	l, err := spawn(exe, r.key)
	if err != nil {
		return nil, err
	}
	return r.runOn(ctx, l, begin)
}

// runOn runs the command on l, which it consumes.
func (r *runPlan) runOn(ctx context.Context, l *launcher, begin time.Time) (*Result, error) {
	if l.cg == nil && slices.Contains(r.required, LayerCgroup) {
		l.discard()
		return nil, fmt.Errorf("sandbox: required layer %q is not available on this host", LayerCgroup)
	}
	ls := r.ls
	ls.Rlimits = rlimits(r.c, l.cg != nil)
	res, err := l.use(ctx, ls, r.s, begin)
	if err != nil {
		return res, err
	}
	res.Layers = append(res.Layers, LayerEnvScrubbed, LayerTimeout)
	if l.cg != nil {
		res.Layers = append(res.Layers, LayerCgroup)
	}
	return res, nil
}

func nsLayers(ns nsSet) []string {
	var l []string
	for _, x := range []struct {
		on   bool
		name string
	}{{ns.User, LayerUserNS}, {ns.PID, LayerPIDNS}, {ns.Mount, LayerMountNS}, {ns.Net, LayerNetNS}, {ns.IPC, LayerIPCNS}, {ns.UTS, LayerUTSNS}} {
		if x.on {
			l = append(l, x.name)
		}
	}
	return l
}

func rlimits(c *Conf, cgroup bool) []launchLimit {
	l := []launchLimit{
		{unix.RLIMIT_CPU, uint64(c.CPUSeconds)},
		{unix.RLIMIT_FSIZE, uint64(c.FileSizeBytes)},
		{unix.RLIMIT_NOFILE, uint64(c.OpenFiles)},
		{unix.RLIMIT_NPROC, uint64(c.MaxProcs)},
		{unix.RLIMIT_CORE, 0},
	}
	if !cgroup {
		l = append(l, launchLimit{unix.RLIMIT_DATA, uint64(c.MemoryBytes)})
	}
	return l
}

func without(list []string, drop string) []string {
	var out []string
	for _, x := range list {
		if x != drop {
			out = append(out, x)
		}
	}
	return out
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
