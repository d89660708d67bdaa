package sandbox

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// identity is the host uid/gid the sandbox runs as.
type identity struct {
	uid, gid uint32
	// root is set when the server runs as root and must therefore set the
	// child's credentials explicitly; otherwise the child would keep host
	// uid 0 whatever the mapping says.
	root bool
}

// ErrRootWorkspace is returned for a root-owned workspace when the server
// runs as root: see the package doc.
var ErrRootWorkspace = errors.New("sandbox: workspace is owned by root; the sandbox never runs as host root, give the workspace to an unprivileged user")

// chooseIdentity maps the sandbox to the server's own uid when unprivileged,
// else to the owner of the workspace (st), so the command can write its
// workspace and nothing that only root may touch.
func chooseIdentity(st *unix.Stat_t) (identity, error) {
	if euid := os.Geteuid(); euid != 0 {
		return identity{uid: uint32(euid), gid: uint32(os.Getegid())}, nil
	}
	if st.Uid == 0 {
		return identity{}, ErrRootWorkspace
	}
	gid := st.Gid
	if gid == 0 {
		gid = st.Uid // never the root group either
	}
	return identity{uid: st.Uid, gid: gid, root: true}, nil
}

// sysProcAttr returns the clone settings for the launcher.
func (id identity) sysProcAttr(ns nsSet) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	for _, f := range []struct {
		on   bool
		flag uintptr
	}{
		{ns.User, syscall.CLONE_NEWUSER}, {ns.Mount, syscall.CLONE_NEWNS}, {ns.PID, syscall.CLONE_NEWPID},
		{ns.Net, syscall.CLONE_NEWNET}, {ns.IPC, syscall.CLONE_NEWIPC}, {ns.UTS, syscall.CLONE_NEWUTS},
	} {
		if f.on {
			a.Cloneflags |= f.flag
		}
	}
	if !ns.PID {
		// Without a PID namespace the process group is what a kill can
		// reach (a setsid'd descendant escapes it; the layer report says so).
		a.Setpgid = true
	}
	if ns.User {
		a.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: int(id.uid), Size: 1}}
		a.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: int(id.gid), Size: 1}}
		if id.root {
			// setuid(0) inside the namespace moves the child from host root
			// to id.uid, and clears root's supplementary groups.
			a.GidMappingsEnableSetgroups = true
			a.Credential = &syscall.Credential{Uid: 0, Gid: 0, Groups: []uint32{}}
		}
	} else if id.root {
		a.Credential = &syscall.Credential{Uid: id.uid, Gid: id.gid, Groups: []uint32{}}
	}
	return a
}
