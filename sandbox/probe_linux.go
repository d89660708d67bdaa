package sandbox

import (
	"errors"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Support is what this host can provide. It is probed once per process.
type Support struct {
	UserNS, MountNS, PIDNS, NetNS, IPCNS, UTSNS bool
	// LandlockABI is 0 when Landlock is unavailable.
	LandlockABI int
	Seccomp     bool
	// Cgroup is set when a cgroup v2 parent with the pids and memory
	// controllers is usable at CgroupParent.
	Cgroup       bool
	CgroupParent string
	// Root is set when the server runs as root.
	Root bool
}

var probeOnce = sync.OnceValue(probe)

// Probe reports what this host supports (cached; the answer does not
// change while the process runs).
func Probe() Support { return probeOnce() }

func probe() Support {
	s := Support{Root: os.Geteuid() == 0, LandlockABI: landlockABI()}
	_, err := unix.PrctlRetInt(unix.PR_GET_SECCOMP, 0, 0, 0, 0)
	s.Seccomp = err == nil
	id := identity{uid: uint32(os.Geteuid()), gid: uint32(os.Getegid())}
	if s.Root {
		id = identity{uid: 65534, gid: 65534, root: true}
	}
	all := nsSet{User: true, Mount: true, PID: true, Net: true, IPC: true, UTS: true}
	if canClone(id, all) {
		s.UserNS, s.MountNS, s.PIDNS, s.NetNS, s.IPCNS, s.UTSNS = true, true, true, true, true, true
	} else {
		s.UserNS = canClone(id, nsSet{User: true})
		base := nsSet{User: s.UserNS}
		try := func(set func(*nsSet)) bool {
			n := base
			set(&n)
			return (s.UserNS || s.Root) && canClone(id, n)
		}
		s.MountNS = try(func(n *nsSet) { n.Mount = true })
		s.PIDNS = try(func(n *nsSet) { n.PID = true })
		s.NetNS = try(func(n *nsSet) { n.Net = true })
		s.IPCNS = try(func(n *nsSet) { n.IPC = true })
		s.UTSNS = try(func(n *nsSet) { n.UTS = true })
	}
	if dir := defaultCgroupParent(); dir != "" {
		s.CgroupParent = dir
		s.Cgroup = prepareCgroupParent(dir) == nil
	}
	return s
}

// canClone forks with the namespace flags and execs a path that cannot
// exist: ENOENT from exec proves clone and the id mapping worked, without
// running anything and without depending on the launcher hook.
func canClone(id identity, ns nsSet) bool {
	attr := id.sysProcAttr(ns)
	attr.Pdeathsig = 0
	_, err := syscall.ForkExec("/nonexistent/airlock-sandbox-probe", []string{"probe"}, &syscall.ProcAttr{
		Dir: "/", Env: []string{}, Sys: attr,
	})
	return errors.Is(err, syscall.ENOENT)
}
