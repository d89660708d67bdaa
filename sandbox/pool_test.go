//go:build linux

package sandbox

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// waitWarmT prewarms p for ws and waits for the launcher; it returns its pid.
func waitWarmT(t *testing.T, p *Pool, ws string, network bool) int {
	t.Helper()
	if err := p.Prewarm(ws, network); err != nil {
		t.Fatalf("prewarm: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pid, err := p.waitReady(ctx, ws, network)
	if err != nil {
		t.Fatalf("waiting for a warm launcher: %v", err)
	}
	return pid
}

func poolRun(t *testing.T, p *Pool, s Spec) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := p.Run(ctx, s)
	if err != nil {
		t.Fatalf("Run(%q): %v", s.Argv, err)
	}
	return res
}

// pidfd opens a pidfd for pid (a thread's with PIDFD_THREAD); it becomes
// readable when the process (thread) has exited.
func pidfd(t *testing.T, pid, flags int) int {
	t.Helper()
	fd, err := unix.PidfdOpen(pid, flags)
	if err != nil {
		t.Fatalf("pidfd_open %d: %v", pid, err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

// exited polls a pidfd for up to timeout (a bound on a failure, never a
// wait for success) and reports whether the process has exited.
func exited(t *testing.T, fd int, timeout time.Duration) bool {
	t.Helper()
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, int(timeout/time.Millisecond))
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			t.Fatalf("poll: %v", err)
		}
		return n > 0
	}
}

// children lists this process's child processes, zombies included.
func children(t *testing.T) []string {
	t.Helper()
	self := os.Getpid()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid ...: comm may contain spaces and parens.
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) >= 2 && f[1] == strconv.Itoa(self) {
			out = append(out, e.Name()+" "+s[:strings.LastIndexByte(s, ')')+1]+" "+f[0])
		}
	}
	return out
}

func TestPoolWarmRunAndRefill(t *testing.T) {
	requireSandbox(t)
	ws := newWorkspace(t)
	p := NewPool(Conf{})
	defer p.Close()
	first := waitWarmT(t, p, ws, false)
	callStart := time.Now()
	res := poolRun(t, p, Spec{Workspace: ws, Argv: sh("echo $$; cat"), Stdin: []byte("in")})
	call := time.Since(callStart)
	if res.ExitCode != 0 || string(res.Stdout) != "1\nin" {
		t.Fatalf("exit %d stdout %q stderr %q", res.ExitCode, res.Stdout, res.Stderr)
	}
	// The launcher had been waiting before the call; Duration counts from
	// the call, not from the spawn.
	if res.Duration > call {
		t.Fatalf("Duration %v exceeds the call's own %v: counted from the spawn", res.Duration, call)
	}
	if st := p.stats(); st != (poolStats{warm: 1}) {
		t.Fatalf("stats %+v, want one warm run", st)
	}
	// Used once: the replacement is another process, and the used one is
	// gone (reaped).
	second := waitWarmT(t, p, ws, false)
	if second == first {
		t.Fatalf("launcher %d reused", first)
	}
	if err := unix.Kill(first, 0); !errors.Is(err, unix.ESRCH) {
		t.Fatalf("used launcher %d still exists: %v", first, err)
	}
	res = poolRun(t, p, Spec{Workspace: ws, Argv: sh("cat; echo eof")})
	if string(res.Stdout) != "eof\n" {
		t.Fatalf("a run without stdin must read EOF: %q", res.Stdout)
	}
	if st := p.stats(); st != (poolStats{warm: 2}) {
		t.Fatalf("stats %+v, want two warm runs", st)
	}
}

func TestPoolMissRunsColdAndRefills(t *testing.T) {
	requireSandbox(t)
	ws := newWorkspace(t)
	p := NewPool(Conf{})
	defer p.Close()
	res := poolRun(t, p, Spec{Workspace: ws, Argv: []string{"echo", "cold"}})
	if string(res.Stdout) != "cold\n" {
		t.Fatalf("stdout %q", res.Stdout)
	}
	if st := p.stats(); st != (poolStats{cold: 1}) {
		t.Fatalf("stats %+v, want one cold run", st)
	}
	// The miss asked for a launcher: one becomes ready without Prewarm.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := p.waitReady(ctx, ws, false); err != nil {
		t.Fatal(err)
	}
	poolRun(t, p, Spec{Workspace: ws, Argv: []string{"true"}})
	if st := p.stats(); st != (poolStats{warm: 1, cold: 1}) {
		t.Fatalf("stats %+v, want the second run warm", st)
	}
}

// TestPoolKey: a launcher is only used for runs whose clone-time settings
// match: network, and (as root) the workspace owner it runs as.
func TestPoolKey(t *testing.T) {
	requireSandbox(t)
	ws := newWorkspace(t)
	p := NewPool(Conf{})
	defer p.Close()
	waitWarmT(t, p, ws, false)
	res := poolRun(t, p, Spec{Workspace: ws, Network: true, Argv: []string{"true"}})
	if slices.Contains(res.Layers, LayerNetNS) || p.stats() != (poolStats{cold: 1}) {
		t.Fatalf("a network run took a launcher without network: stats %+v layers %v", p.stats(), res.Layers)
	}
	if os.Geteuid() != 0 {
		return
	}
	other := newWorkspace(t)
	if err := os.Chown(other, testUID+1, testUID+1); err != nil {
		t.Fatal(err)
	}
	waitWarmT(t, p, ws, false)
	poolRun(t, p, Spec{Workspace: other, Argv: sh("echo x > f")})
	fi, err := os.Stat(filepath.Join(other, "f"))
	if err != nil {
		t.Fatal(err)
	}
	if uid := fi.Sys().(*syscall.Stat_t).Uid; uid != testUID+1 || p.stats() != (poolStats{cold: 2}) {
		t.Fatalf("file owner %d (want %d), stats %+v: a launcher of another owner was used", uid, testUID+1, p.stats())
	}
}

// TestPoolStaleWorkspaceRetriesCold: a filesystem mounted after the
// launcher was spawned is not in its mount namespace; the launcher sees
// the directory underneath, refuses it, and the run is retried cold.
func TestPoolStaleWorkspaceRetriesCold(t *testing.T) {
	requireSandbox(t)
	if os.Geteuid() != 0 {
		t.Skip("mounting needs root")
	}
	base := t.TempDir()
	if err := os.Chmod(filepath.Dir(base), 0o755); err != nil {
		t.Fatal(err)
	}
	// A private mount, so that what is mounted beneath it later reaches no
	// other namespace, whatever the host's propagation.
	if err := unix.Mount("tmpfs", base, "tmpfs", 0, "mode=0755,size=1m"); err != nil {
		t.Skipf("cannot mount tmpfs: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(base, unix.MNT_DETACH) })
	if err := unix.Mount("", base, "", unix.MS_PRIVATE, ""); err != nil {
		t.Fatal(err)
	}
	ws := filepath.Join(base, "mnt", "ws")
	mkWS := func() {
		if err := os.MkdirAll(ws, 0o755); err != nil {
			t.Fatal(err)
		}
		chownForSandbox(t, ws)
	}
	mkWS() // what the launcher will see: the directory under the mount

	p := NewPool(Conf{})
	defer p.Close()
	waitWarmT(t, p, ws, false)

	if err := unix.Mount("tmpfs", filepath.Join(base, "mnt"), "tmpfs", 0, "mode=0755,size=1m"); err != nil {
		t.Fatal(err)
	}
	mounted := true
	t.Cleanup(func() {
		if mounted {
			unix.Unmount(filepath.Join(base, "mnt"), unix.MNT_DETACH)
		}
	})
	mkWS()
	writeWS(t, ws, "marker", "fresh")

	res := poolRun(t, p, Spec{Workspace: ws, Argv: sh("cat marker && echo out > result")})
	if res.ExitCode != 0 || string(res.Stdout) != "fresh" {
		t.Fatalf("exit %d stdout %q stderr %q", res.ExitCode, res.Stdout, res.Stderr)
	}
	if st := p.stats(); st != (poolStats{warm: 1, retried: 1, cold: 1}) {
		t.Fatalf("stats %+v, want the warm attempt refused and retried cold", st)
	}
	if err := unix.Unmount(filepath.Join(base, "mnt"), 0); err != nil {
		t.Fatal(err)
	}
	mounted = false
	if _, err := os.Stat(filepath.Join(ws, "result")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the command wrote to the directory under the mount: %v", err)
	}
}

// TestPoolCloseReapsEverything: after Close no child process remains, not
// even a zombie, including a replacement being spawned as Close ran; later
// runs still work, cold.
func TestPoolCloseReapsEverything(t *testing.T) {
	requireSandbox(t)
	if c := children(t); len(c) > 0 {
		t.Fatalf("children before the test: %v", c)
	}
	ws := newWorkspace(t)
	p := NewPool(Conf{})
	waitWarmT(t, p, ws, false)
	waitWarmT(t, p, ws, true)
	poolRun(t, p, Spec{Workspace: ws, Argv: []string{"true"}}) // queues a replacement
	if c := children(t); len(c) == 0 {
		t.Fatal("no waiting launcher is a child: the check below would prove nothing")
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if c := children(t); len(c) > 0 {
		t.Fatalf("children after Close: %v", c)
	}
	before := p.stats()
	poolRun(t, p, Spec{Workspace: ws, Argv: []string{"true"}})
	if st := p.stats(); st.cold != before.cold+1 {
		t.Fatalf("run after Close: stats %+v", st)
	}
	if c := children(t); len(c) > 0 {
		t.Fatalf("children after a run on a closed pool: %v", c)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestPoolEvictsLeastRecentlyUsed(t *testing.T) {
	requireSandbox(t)
	ws := newWorkspace(t)
	p := NewPool(Conf{})
	defer p.Close()
	p.maxKeys = 1
	old := waitWarmT(t, p, ws, false)
	fd := pidfd(t, old, 0)
	waitWarmT(t, p, ws, true) // a second key: the first is evicted
	if !exited(t, fd, 30*time.Second) {
		t.Fatalf("evicted launcher %d still running", old)
	}
	poolRun(t, p, Spec{Workspace: ws, Argv: []string{"true"}})
	if st := p.stats(); st != (poolStats{cold: 1}) {
		t.Fatalf("stats %+v: the evicted key still had a launcher", st)
	}
	p.mu.Lock()
	n := len(p.slots)
	p.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d keys kept, want at most 1", n)
	}
}

// TestLauncherExitsOnSpecEOF: a launcher whose spec pipe closes without a
// spec exits by itself, without running anything.
func TestLauncherExitsOnSpecEOF(t *testing.T) {
	requireSandbox(t)
	c := Conf{}
	c.SetDefaults()
	r, err := prepare(&c, &Spec{Workspace: newWorkspace(t), Argv: []string{"true"}})
	if err != nil {
		t.Fatal(err)
	}
	l, err := spawn(launcherPath, r.key)
	if err != nil {
		t.Fatal(err)
	}
	<-l.ready
	if !l.alive {
		t.Fatal("launcher died before it was ready")
	}
	l.spec.Close()
	l.spec = nil
	ps, err := l.proc.Wait()
	l.release()
	if err != nil || !ps.Exited() || ps.ExitCode() != 0 {
		t.Fatalf("launcher ended with %v (%v), want a clean exit", ps, err)
	}
}

// TestPoolSpawnerSurvivesThreadExits: Pdeathsig fires when the thread that
// cloned a launcher exits. The Go runtime retires a thread when a goroutine
// locked to it exits; many such goroutines exiting must not kill waiting
// launchers.
func TestPoolSpawnerSurvivesThreadExits(t *testing.T) {
	requireSandbox(t)
	ws := newWorkspace(t)
	p := NewPool(Conf{})
	defer p.Close()
	pid := waitWarmT(t, p, ws, false)
	launcher := pidfd(t, pid, 0)
	const n = 32
	tids := make(chan int, n)
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
			tids <- unix.Gettid()
			<-release
		})
	}
	var threads []int
	for range n {
		// The main thread is never retired (the runtime parks it instead).
		if tid := <-tids; tid != os.Getpid() {
			threads = append(threads, pidfd(t, tid, unix.PIDFD_THREAD))
		}
	}
	close(release)
	wg.Wait()
	for _, fd := range threads {
		if !exited(t, fd, 30*time.Second) {
			t.Fatal("a locked thread did not exit: the test proves nothing")
		}
	}
	if exited(t, launcher, 0) {
		t.Fatal("the waiting launcher died with a retired thread")
	}
	poolRun(t, p, Spec{Workspace: ws, Argv: []string{"true"}})
	if st := p.stats(); st != (poolStats{warm: 1}) {
		t.Fatalf("stats %+v, want the launcher used warm", st)
	}
}

// poolHelperEnv makes the test binary a server that prewarms a pool for
// the workspace named by the variable, prints the launcher's pid and waits
// to be killed.
const poolHelperEnv = "AIRLOCK_TEST_POOL_HELPER_WS"

func poolHelper() {
	ws := os.Getenv(poolHelperEnv)
	if ws == "" {
		return
	}
	p := NewPool(Conf{})
	if err := p.Prewarm(ws, false); err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	pid, err := p.waitReady(context.Background(), ws, false)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println(pid)
	select {}
}

// TestPoolLaunchersDieWithServer: killing the server (SIGKILL: no Close,
// no deferred code) takes its waiting launchers with it.
func TestPoolLaunchersDieWithServer(t *testing.T) {
	requireSandbox(t)
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), poolHelperEnv+"="+newWorkspace(t))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("helper: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("helper said %q", line)
	}
	launcher := pidfd(t, pid, 0)
	if exited(t, launcher, 0) {
		t.Fatal("launcher not running before the server died: the test proves nothing")
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if !exited(t, launcher, 30*time.Second) {
		t.Fatalf("launcher %d survived its server", pid)
	}
}

// TestPoolWaitingLauncherHoldsNothing: a waiting launcher has no
// environment, a fixed command line, only its five pipes, and a process of
// the same host uid outside the sandbox cannot inspect it.
func TestPoolWaitingLauncherHoldsNothing(t *testing.T) {
	requireSandbox(t)
	ws := newWorkspace(t)
	p := NewPool(Conf{})
	defer p.Close()
	pid := waitWarmT(t, p, ws, false)
	dir := filepath.Join("/proc", strconv.Itoa(pid))
	if env, err := os.ReadFile(filepath.Join(dir, "environ")); err != nil || len(env) != 0 {
		t.Fatalf("environment %q (%v), want none", env, err)
	}
	if cl, err := os.ReadFile(filepath.Join(dir, "cmdline")); err != nil || string(cl) != "airlock-sandbox\x00"+launcherArg+"\x00" {
		t.Fatalf("cmdline %q (%v)", cl, err)
	}
	// Its five pipes, and nothing else that would survive exec (the Go
	// runtime's own descriptors, and any the server inherited, are
	// close-on-exec).
	entries, err := os.ReadDir(filepath.Join(dir, "fd"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		n, _ := strconv.Atoi(e.Name())
		target, _ := os.Readlink(filepath.Join(dir, "fd", e.Name()))
		info, err := os.ReadFile(filepath.Join(dir, "fdinfo", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		var flags int64
		for _, l := range strings.Split(string(info), "\n") {
			if v, ok := strings.CutPrefix(l, "flags:"); ok {
				flags, _ = strconv.ParseInt(strings.TrimSpace(v), 8, 64)
			}
		}
		switch {
		case n <= statusFD && !strings.HasPrefix(target, "pipe:"):
			t.Errorf("fd %d -> %s, want one of its pipes", n, target)
		case n > 2 && flags&unix.O_CLOEXEC == 0:
			t.Errorf("fd %d -> %s survives exec", n, target)
		}
	}
	if os.Geteuid() != 0 {
		return
	}
	// A host process running as the sandbox's uid can read the environment
	// of an ordinary process of that uid (the positive control), but not
	// the launcher's: it is not dumpable.
	asOwner := &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: testUID, Gid: testUID, Groups: []uint32{}}}
	ctrl := exec.Command("sleep", "1000")
	ctrl.SysProcAttr = asOwner
	if err := ctrl.Start(); err != nil {
		t.Fatal(err)
	}
	defer ctrl.Wait()
	defer ctrl.Process.Kill()
	read := func(pid int) error {
		cmd := exec.Command("cat", fmt.Sprintf("/proc/%d/environ", pid))
		cmd.SysProcAttr = asOwner
		return cmd.Run()
	}
	if err := read(ctrl.Process.Pid); err != nil {
		t.Fatalf("positive control: a process of the same uid is unreadable (%v): the check below proves nothing", err)
	}
	if err := read(pid); err == nil {
		t.Fatal("a host process of the sandbox uid read the waiting launcher's environ")
	}
}

// TestPoolConcurrentRuns: many runs at once over two keys, each with its
// own output; warm or cold, every one succeeds (go test -race).
func TestPoolConcurrentRuns(t *testing.T) {
	requireSandbox(t)
	ws := newWorkspace(t)
	p := NewPool(Conf{})
	defer p.Close()
	waitWarmT(t, p, ws, false)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			want := strconv.Itoa(i)
			res, err := p.Run(context.Background(), Spec{Workspace: ws, Network: i%2 == 1, Argv: []string{"echo", want}})
			if err != nil {
				errs <- err
			} else if string(res.Stdout) != want+"\n" {
				errs <- fmt.Errorf("run %d: stdout %q", i, res.Stdout)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if st := p.stats(); st.warm+st.cold-st.retried != 16 || st.warm == 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestPoolRefusesWhatRunRefuses(t *testing.T) {
	ws := newWorkspace(t)
	p := NewPool(Conf{})
	defer p.Close()
	for _, s := range []Spec{
		{Workspace: "ws", Argv: []string{"true"}},
		{Workspace: ws, Cwd: "../..", Argv: []string{"true"}},
		{Workspace: ws},
		{Workspace: ws, Argv: []string{"true"}, Timeout: time.Hour},
	} {
		if res, err := p.Run(context.Background(), s); err == nil {
			t.Errorf("%+v accepted: %+v", s, res)
		}
	}
	bad := NewPool(Conf{Required: []string{"chroot"}})
	defer bad.Close()
	if _, err := bad.Run(context.Background(), Spec{Workspace: ws, Argv: []string{"true"}}); err == nil {
		t.Error("a pool with an invalid conf ran a command")
	}
	if err := bad.Prewarm(ws, false); err == nil {
		t.Error("a pool with an invalid conf prewarmed")
	}
	if os.Geteuid() == 0 {
		root := t.TempDir()
		if err := p.Prewarm(root, false); !errors.Is(err, ErrRootWorkspace) {
			t.Errorf("prewarm of a root-owned workspace: %v", err)
		}
		if _, err := p.Run(context.Background(), Spec{Workspace: root, Argv: []string{"true"}}); !errors.Is(err, ErrRootWorkspace) {
			t.Errorf("run in a root-owned workspace: %v", err)
		}
	}
}
