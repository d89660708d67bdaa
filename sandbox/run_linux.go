package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// waitDelay bounds how long Run waits for output pipes after the command
// ended: a descendant that escaped the kill (only possible without a PID
// namespace) must not hold Run hostage.
const waitDelay = 500 * time.Millisecond

// errClone marks a failure to create the launcher process itself.
var errClone = errors.New("sandbox: start launcher")

// Run runs s inside the sandbox. The error is non-nil only when the sandbox
// could not be started (bad spec, missing required layer, host failure) or
// when ctx was cancelled; a command that fails is a Result.
func Run(ctx context.Context, c Conf, s Spec) (*Result, error) {
	c.SetDefaults()
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("sandbox: conf: %w", err)
	}
	if err := checkSpec(&c, &s); err != nil {
		return nil, fmt.Errorf("sandbox: spec: %w", err)
	}
	ws, err := filepath.EvalSymlinks(s.Workspace)
	if err != nil {
		return nil, fmt.Errorf("sandbox: workspace: %w", err)
	}
	if fi, err := os.Stat(ws); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("sandbox: workspace %q is not a directory", s.Workspace)
	}
	id, err := chooseIdentity(ws)
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

	var cg *runCgroup
	if parent := firstNonEmpty(c.CgroupParent, sup.CgroupParent); parent != "" {
		cg, _ = newRunCgroup(parent, c.MaxProcs, c.MemoryBytes) // absence is reported as a missing layer
	}
	if cg != nil {
		defer cg.remove()
	}
	parentLayers := []string{LayerEnvScrubbed, LayerTimeout}
	if cg != nil {
		parentLayers = append(parentLayers, LayerCgroup)
	}
	planned := append(nsLayers(ns), parentLayers...)
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

	ls := launchSpec{
		Workspace: ws, Cwd: s.Cwd, Argv: s.Argv, Env: buildEnv(s.Env), NS: ns,
		ReadablePaths: c.ReadablePaths, ReadOnlyPaths: c.ReadOnlyPaths, TmpBytes: c.TmpBytes,
		Rlimits: rlimits(&c, cg != nil), Seccomp: !c.DisableSeccomp && sup.Seccomp, Network: s.Network,
		Required: launcherRequired,
	}
	res, err := start(ctx, id, ls, cg, &s)
	if errors.Is(err, errClone) && cg != nil && !slices.Contains(required, LayerCgroup) {
		// An unusual cgroup setup must not take command execution down
		// when the operator did not require it: retry with rlimits only.
		cg.remove()
		cg = nil
		parentLayers = without(parentLayers, LayerCgroup)
		ls.Rlimits = rlimits(&c, false)
		res, err = start(ctx, id, ls, nil, &s)
	}
	if err != nil {
		return res, err
	}
	res.Layers = append(res.Layers, parentLayers...)
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

// start runs the launcher and waits for the command.
func start(ctx context.Context, id identity, ls launchSpec, cg *runCgroup, s *Spec) (*Result, error) {
	specR, specW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("sandbox: pipe: %w", err)
	}
	defer specW.Close()
	statusR, statusW, err := os.Pipe()
	if err != nil {
		specR.Close()
		return nil, fmt.Errorf("sandbox: pipe: %w", err)
	}
	defer statusR.Close()

	stdout, stderr := newCapture(s.OutputLimit, s.Stdout), newCapture(s.OutputLimit, s.Stderr)
	outP, err := newOutPipe(id, stdout)
	if err != nil {
		return nil, fmt.Errorf("sandbox: pipe: %w", err)
	}
	errP, err := newOutPipe(id, stderr)
	if err != nil {
		outP.w.Close()
		outP.finish(0)
		return nil, fmt.Errorf("sandbox: pipe: %w", err)
	}
	var stdin *os.File
	if s.Stdin != nil {
		if stdin, err = newInPipe(id, s.Stdin); err != nil {
			outP.w.Close()
			errP.w.Close()
			outP.finish(0)
			errP.finish(0)
			return nil, fmt.Errorf("sandbox: pipe: %w", err)
		}
	}
	attr := id.sysProcAttr(ls.NS)
	if cg != nil {
		attr.UseCgroupFD, attr.CgroupFD = true, cg.fd
	}
	cmd := &exec.Cmd{
		Path:        "/proc/self/exe",
		Args:        []string{"airlock-sandbox", launcherArg},
		Env:         []string{}, // the launcher gets nothing of ours either
		Dir:         "/",
		Stdout:      outP.w,
		Stderr:      errP.w,
		ExtraFiles:  []*os.File{specR, statusW},
		SysProcAttr: attr,
	}
	if stdin != nil {
		cmd.Stdin = stdin
	}
	runCtx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	begin := time.Now()
	err = cmd.Start()
	specR.Close()
	statusW.Close()
	outP.w.Close()
	errP.w.Close()
	if stdin != nil {
		stdin.Close()
	}
	finishOutput := func() {
		outP.finish(waitDelay)
		errP.finish(waitDelay)
	}
	if err != nil {
		finishOutput()
		return nil, fmt.Errorf("%w: %w", errClone, err)
	}
	kill := func() {
		if cg != nil {
			cg.kill()
		}
		if ls.NS.PID {
			// PID 1 of the namespace: the kernel takes every descendant
			// with it, daemonised or not.
			_ = cmd.Process.Kill()
		} else {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			_ = cmd.Process.Kill()
		}
	}
	go func() {
		_ = json.NewEncoder(specW).Encode(ls)
		specW.Close()
	}()
	statusCh := make(chan launchStatus, 1)
	go func() {
		var st launchStatus
		if err := json.NewDecoder(io.LimitReader(statusR, 1<<20)).Decode(&st); err != nil && st.Error == "" {
			st.Error = "launcher exited before starting the command"
		}
		statusCh <- st
	}()
	var st launchStatus
	select {
	case st = <-statusCh:
	case <-runCtx.Done():
		kill()
		st = <-statusCh
	}
	waitCh := make(chan error, 1)
	go func() { waitCh <- cmd.Wait() }()
	if st.Error != "" {
		kill()
		<-waitCh
		finishOutput()
		msg, _, _ := stderr.result()
		return nil, fmt.Errorf("sandbox: launcher: %s: %s", st.Error, strings.TrimSpace(string(msg)))
	}
	timedOut := false
	select {
	case <-waitCh:
	case <-runCtx.Done():
		timedOut = ctx.Err() == nil
		kill()
		<-waitCh
	}
	res := &Result{Duration: time.Since(begin), TimedOut: timedOut, Layers: st.Layers}
	finishOutput()
	res.ExitCode = cmd.ProcessState.ExitCode()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		res.Signal = unix.SignalName(ws.Signal())
	}
	var tout, terr bool
	res.Stdout, res.StdoutBytes, tout = stdout.result()
	res.Stderr, res.StderrBytes, terr = stderr.result()
	res.Truncated = tout || terr
	if ctx.Err() != nil {
		return res, fmt.Errorf("sandbox: %w", ctx.Err())
	}
	return res, nil
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
