package sandbox

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
)

// Conf is the operator's sandbox configuration. Spec (per run) may only
// narrow it: a Spec timeout above MaxTimeout is refused, not clamped.
type Conf struct {
	// Required lists layers (see the Layer constants; "landlock" matches any
	// ABI) that must be applied, else the run fails to start. "netns" is
	// waived for a run whose Spec grants Network.
	Required []string `yaml:"required"`
	// Timeout is the wall-clock limit when Spec.Timeout is zero.
	Timeout time.Duration `yaml:"timeout"`
	// MaxTimeout bounds Spec.Timeout.
	MaxTimeout time.Duration `yaml:"max_timeout"`
	// OutputLimit caps the bytes kept per stream when Spec.OutputLimit is zero.
	OutputLimit int64 `yaml:"output_limit"`
	// MemoryBytes is memory.max when a cgroup is available, else RLIMIT_DATA
	// (not RLIMIT_AS, which breaks Go and Node runtimes that reserve address
	// space they never touch).
	MemoryBytes int64 `yaml:"memory_bytes"`
	// CPUSeconds is RLIMIT_CPU.
	CPUSeconds int64 `yaml:"cpu_seconds"`
	// MaxProcs is pids.max with a cgroup, and RLIMIT_NPROC always; the
	// latter counts tasks (threads included) of the sandbox's own user
	// namespace only, because each run gets a fresh one.
	MaxProcs int64 `yaml:"max_procs"`
	// FileSizeBytes is RLIMIT_FSIZE.
	FileSizeBytes int64 `yaml:"file_size_bytes"`
	// OpenFiles is RLIMIT_NOFILE.
	OpenFiles int64 `yaml:"open_files"`
	// TmpBytes sizes the private tmpfs mounted on /tmp and /dev/shm.
	TmpBytes int64 `yaml:"tmp_bytes"`
	// ReadOnlyPaths are workspace-relative paths kept read-only by a
	// read-only bind mount (Landlock can only add access beneath a writable
	// workspace, never take it away).
	ReadOnlyPaths []string `yaml:"read_only_paths"`
	// ReadablePaths are absolute host paths the command may read and
	// execute. Keep the list narrow: everything not listed, except the
	// workspace and the private temp dirs, is invisible to the command.
	ReadablePaths []string `yaml:"readable_paths"`
	// CgroupParent is a cgroup v2 directory the server may create children
	// in. Empty means /sys/fs/cgroup/airlock when running as root on a
	// cgroup v2 host, and no cgroup otherwise.
	CgroupParent string `yaml:"cgroup_parent"`
	// DisableSeccomp turns the syscall filter off (some debuggers need
	// ptrace).
	DisableSeccomp bool `yaml:"disable_seccomp"`
}

// Defaults. The limits are generous enough for builds and test runs of a
// typical repository; operators tighten them.
const (
	DefaultTimeout       = 60 * time.Second
	DefaultMaxTimeout    = 30 * time.Minute
	DefaultOutputLimit   = 1 << 20
	DefaultMemoryBytes   = 4 << 30
	DefaultCPUSeconds    = 30 * 60
	DefaultMaxProcs      = 1024
	DefaultFileSizeBytes = 1 << 30
	DefaultOpenFiles     = 1024
	DefaultTmpBytes      = 512 << 20
)

// DefaultReadOnlyPaths protects git hooks: a hook written by the command
// would run later on the host, outside any sandbox.
var DefaultReadOnlyPaths = []string{".git/hooks"}

// DefaultReadablePaths are the system directories a shell and common
// toolchains need. /opt, /home, /root, /srv, /var and /tmp are deliberately
// absent.
var DefaultReadablePaths = []string{"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"}

// SetDefaults fills zero fields.
func (c *Conf) SetDefaults() {
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxTimeout == 0 {
		c.MaxTimeout = max(DefaultMaxTimeout, c.Timeout)
	}
	setInt(&c.OutputLimit, DefaultOutputLimit)
	setInt(&c.MemoryBytes, DefaultMemoryBytes)
	setInt(&c.CPUSeconds, DefaultCPUSeconds)
	setInt(&c.MaxProcs, DefaultMaxProcs)
	setInt(&c.FileSizeBytes, DefaultFileSizeBytes)
	setInt(&c.OpenFiles, DefaultOpenFiles)
	setInt(&c.TmpBytes, DefaultTmpBytes)
	if c.ReadOnlyPaths == nil {
		c.ReadOnlyPaths = append([]string(nil), DefaultReadOnlyPaths...)
	}
	if c.ReadablePaths == nil {
		c.ReadablePaths = append([]string(nil), DefaultReadablePaths...)
	}
}

func setInt(p *int64, def int64) {
	if *p == 0 {
		*p = def
	}
}

// Validate names the first bad key. It expects SetDefaults to have run.
func (c *Conf) Validate() error {
	var errs []error
	for _, r := range c.Required {
		if !knownLayers[r] {
			errs = append(errs, fmt.Errorf("required: unknown layer %q", r))
		}
	}
	if c.Timeout <= 0 {
		errs = append(errs, errors.New("timeout: must be positive"))
	}
	if c.MaxTimeout < c.Timeout {
		errs = append(errs, errors.New("max_timeout: must be at least timeout"))
	}
	for _, f := range []struct {
		key string
		v   int64
	}{
		{"output_limit", c.OutputLimit}, {"memory_bytes", c.MemoryBytes}, {"cpu_seconds", c.CPUSeconds},
		{"max_procs", c.MaxProcs}, {"file_size_bytes", c.FileSizeBytes}, {"open_files", c.OpenFiles},
		{"tmp_bytes", c.TmpBytes},
	} {
		if f.v <= 0 {
			errs = append(errs, fmt.Errorf("%s: must be positive", f.key))
		}
	}
	for _, p := range c.ReadOnlyPaths {
		if !isLocal(p) || strings.ContainsRune(p, 0) {
			errs = append(errs, fmt.Errorf("read_only_paths: %q must be a relative path inside the workspace", p))
		}
	}
	for _, p := range c.ReadablePaths {
		if err := checkHostPath(p); err != nil {
			errs = append(errs, fmt.Errorf("readable_paths: %w", err))
		}
	}
	if c.CgroupParent != "" {
		if err := checkHostPath(c.CgroupParent); err != nil {
			errs = append(errs, fmt.Errorf("cgroup_parent: %w", err))
		}
	}
	return errors.Join(errs...)
}

// checkHostPath refuses relative, unclean and root paths: granting "/"
// would make every other confinement moot.
func checkHostPath(p string) error {
	switch {
	case strings.ContainsRune(p, 0):
		return fmt.Errorf("%q contains NUL", p)
	case !path.IsAbs(p) || path.Clean(p) != p:
		return fmt.Errorf("%q must be an absolute, clean path", p)
	case p == "/":
		return errors.New(`"/" is not allowed`)
	}
	return nil
}
