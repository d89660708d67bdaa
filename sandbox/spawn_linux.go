package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// launcherPath is the binary started as the launcher: the running binary
// itself, through /proc/self/exe, which names the file this process was
// started from even if the path it came from is replaced on disk. Only the
// package's benchmarks start another (a freshly built airlock binary, to
// time the real product), through newPool.
const launcherPath = "/proc/self/exe"

var (
	// errClone marks a failure to create the launcher process itself.
	errClone = errors.New("sandbox: start launcher")
	// errRetryCold marks a launcher that ran nothing and failed for a
	// reason a launcher started now would not have: it saw a different
	// workspace (its mount namespace predates a mount), or it was gone
	// before it read its spec.
	errRetryCold = errors.New("sandbox: launcher unusable")
)

// spawnKey is everything fixed when a launcher is cloned: who it runs as,
// which namespaces it is in, and the cgroup it was cloned into. Everything
// else reaches the launcher in its spec when it is used.
type spawnKey struct {
	id identity
	ns nsSet
	// cgroupParent is where each launcher gets a cgroup of its own with
	// these limits ("" for none).
	cgroupParent          string
	maxProcs, memoryBytes int64
	// cgroupRequired forbids falling back to no cgroup.
	cgroupRequired bool
}

// launcher is one launcher process on the server side. It is used at most
// once: use hands it its only spec.
type launcher struct {
	proc *os.Process
	ns   nsSet
	cg   *runCgroup
	// The server's ends of the launcher's pipes.
	stdin, stdout, stderr, spec, status *os.File
	// ready is closed once the launcher waits for its spec (alive) or has
	// died before that (!alive).
	ready chan struct{}
	alive bool
}

// spawn starts a launcher for k. It waits for the clone, not for the
// launcher to initialise.
func spawn(exe string, k spawnKey) (*launcher, error) {
	var cg *runCgroup
	if k.cgroupParent != "" {
		cg, _ = newRunCgroup(k.cgroupParent, k.maxProcs, k.memoryBytes) // absence is reported as a missing layer
	}
	l, err := startLauncher(exe, k.id, k.ns, cg)
	if errors.Is(err, errClone) && cg != nil && !k.cgroupRequired {
		// An unusual cgroup setup must not take command execution down
		// when the operator did not require it: retry with rlimits only.
		cg.remove()
		cg = nil
		l, err = startLauncher(exe, k.id, k.ns, nil)
	}
	if err != nil {
		if cg != nil {
			cg.remove()
		}
		return nil, err
	}
	return l, nil
}

func startLauncher(exe string, id identity, ns nsSet, cg *runCgroup) (_ *launcher, err error) {
	var child, ours []*os.File
	defer func() {
		for _, f := range child {
			f.Close()
		}
		if err != nil {
			for _, f := range ours {
				f.Close()
			}
		}
	}()
	// Child ends in descriptor order: 0 stdin, 1 stdout, 2 stderr,
	// 3 spec (specFD), 4 status (statusFD).
	for _, childReads := range []bool{true, false, false, true, false} {
		r, w, err := newPipe(id, childReads)
		if err != nil {
			return nil, fmt.Errorf("sandbox: pipe: %w", err)
		}
		if childReads {
			child, ours = append(child, r), append(ours, w)
		} else {
			child, ours = append(child, w), append(ours, r)
		}
	}
	attr := id.sysProcAttr(ns)
	if cg != nil {
		attr.UseCgroupFD, attr.CgroupFD = true, cg.fd
	}
	proc, err := os.StartProcess(exe, []string{"airlock-sandbox", launcherArg}, &os.ProcAttr{
		Dir:   "/",
		Env:   []string{}, // the launcher gets nothing of ours either
		Files: child,
		Sys:   attr,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errClone, err)
	}
	l := &launcher{proc: proc, ns: ns, cg: cg, stdin: ours[0], stdout: ours[1], stderr: ours[2],
		spec: ours[3], status: ours[4], ready: make(chan struct{})}
	go func() {
		// The launcher is the status pipe's only writer: one byte means it
		// is waiting for its spec, EOF that it died.
		var b [1]byte
		n, _ := io.ReadFull(l.status, b[:])
		l.alive = n == 1 && b[0] == readyByte
		close(l.ready)
	}()
	return l, nil
}

// kill ends the launcher and everything it started.
func (l *launcher) kill() {
	if l.cg != nil {
		l.cg.kill()
	}
	if l.ns.PID {
		// PID 1 of the namespace: the kernel takes every descendant with
		// it, daemonised or not.
		_ = l.proc.Kill()
	} else {
		_ = syscall.Kill(-l.proc.Pid, syscall.SIGKILL)
		_ = l.proc.Kill()
	}
}

// discard kills a launcher that will not be used, reaps it and releases
// everything it held.
func (l *launcher) discard() {
	l.kill()
	_, _ = l.proc.Wait()
	<-l.ready
	l.release()
}

// release closes what is left of the server's ends and the cgroup. The
// process must have been reaped.
func (l *launcher) release() {
	for _, f := range []*os.File{l.stdin, l.stdout, l.stderr, l.spec, l.status} {
		if f != nil {
			f.Close()
		}
	}
	if l.cg != nil {
		l.cg.remove()
	}
}

// statusMsg is the launcher's status, or lost when it ended without one.
type statusMsg struct {
	st   launchStatus
	lost bool
}

// use hands the launcher its spec and waits for the command. Output capture
// and stdin start here, and the timeout counts from begin (when the caller
// asked for the run), however long the launcher had been waiting. The
// launcher is always reaped and released when use returns.
func (l *launcher) use(ctx context.Context, ls launchSpec, s *Spec, begin time.Time) (*Result, error) {
	defer l.release()
	stdout, stderr := newCapture(s.OutputLimit, s.Stdout), newCapture(s.OutputLimit, s.Stderr)
	outD, errD := startDrain(l.stdout, stdout), startDrain(l.stderr, stderr)
	l.stdout, l.stderr = nil, nil
	finishOutput := func() {
		outD.finish(waitDelay)
		errD.finish(waitDelay)
	}
	ls.Stdin = s.Stdin != nil
	if ls.Stdin {
		feed(l.stdin, s.Stdin)
	} else {
		l.stdin.Close()
	}
	l.stdin = nil
	runCtx, cancel := context.WithDeadline(ctx, begin.Add(s.Timeout))
	defer cancel()

	specW := l.spec
	l.spec = nil
	go func() {
		_ = json.NewEncoder(specW).Encode(ls)
		specW.Close()
	}()
	statusCh := make(chan statusMsg, 1)
	go func() {
		<-l.ready
		var m statusMsg
		if !l.alive {
			m.lost = true
		} else if err := json.NewDecoder(io.LimitReader(l.status, 1<<20)).Decode(&m.st); err != nil && m.st.Error == "" {
			m.lost = true
		}
		statusCh <- m
	}()
	var m statusMsg
	select {
	case m = <-statusCh:
	case <-runCtx.Done():
		l.kill()
		m = <-statusCh
	}
	waitCh := make(chan *os.ProcessState, 1)
	go func() {
		ps, _ := l.proc.Wait()
		waitCh <- ps
	}()
	if m.lost || m.st.Error != "" {
		// Nothing ran: the status comes before exec.
		l.kill()
		<-waitCh
		finishOutput()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("sandbox: %w", ctx.Err())
		}
		msg, _, _ := stderr.result()
		detail := strings.TrimSpace(string(msg))
		switch {
		case m.st.Stale:
			return nil, fmt.Errorf("%w: %s: %s", errRetryCold, m.st.Error, detail)
		case m.lost && runCtx.Err() == nil:
			return nil, fmt.Errorf("%w: launcher exited before starting the command: %s", errRetryCold, detail)
		case m.lost:
			return nil, fmt.Errorf("sandbox: launcher: launcher exited before starting the command: %s", detail)
		}
		return nil, fmt.Errorf("sandbox: launcher: %s: %s", m.st.Error, detail)
	}
	var ps *os.ProcessState
	timedOut := false
	select {
	case ps = <-waitCh:
	case <-runCtx.Done():
		timedOut = ctx.Err() == nil
		l.kill()
		ps = <-waitCh
	}
	res := &Result{Duration: time.Since(begin), TimedOut: timedOut, Layers: m.st.Layers}
	finishOutput()
	res.ExitCode = -1
	if ps != nil {
		res.ExitCode = ps.ExitCode()
		if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			res.Signal = unix.SignalName(ws.Signal())
		}
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
