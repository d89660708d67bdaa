package sandbox

import (
	"errors"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// deniedSyscalls fail with EPERM. They reach kernel surface a build or test
// run has no use for and that sandbox escapes have historically used:
// debugging other processes, (re)mounting, loading code into the kernel,
// keyrings, new namespaces, and file handles that bypass path checks.
var deniedSyscalls = []uintptr{
	unix.SYS_PTRACE, unix.SYS_PROCESS_VM_READV, unix.SYS_PROCESS_VM_WRITEV,
	unix.SYS_MOUNT, unix.SYS_UMOUNT2, unix.SYS_PIVOT_ROOT, unix.SYS_CHROOT,
	unix.SYS_FSOPEN, unix.SYS_FSCONFIG, unix.SYS_FSMOUNT, unix.SYS_FSPICK, unix.SYS_MOVE_MOUNT,
	unix.SYS_OPEN_TREE, unix.SYS_MOUNT_SETATTR,
	unix.SYS_KEXEC_LOAD, unix.SYS_KEXEC_FILE_LOAD, unix.SYS_INIT_MODULE, unix.SYS_FINIT_MODULE,
	unix.SYS_DELETE_MODULE, unix.SYS_BPF, unix.SYS_PERF_EVENT_OPEN, unix.SYS_USERFAULTFD,
	unix.SYS_KEYCTL, unix.SYS_ADD_KEY, unix.SYS_REQUEST_KEY,
	unix.SYS_UNSHARE, unix.SYS_SETNS,
	unix.SYS_OPEN_BY_HANDLE_AT, unix.SYS_NAME_TO_HANDLE_AT,
	unix.SYS_REBOOT, unix.SYS_SWAPON, unix.SYS_SWAPOFF, unix.SYS_ACCT, unix.SYS_QUOTACTL,
	unix.SYS_SYSLOG,
}

// cloneNSFlags are the clone(2) flags that create namespaces.
const cloneNSFlags = unix.CLONE_NEWNS | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC | unix.CLONE_NEWUSER |
	unix.CLONE_NEWPID | unix.CLONE_NEWNET | unix.CLONE_NEWCGROUP | unix.CLONE_NEWTIME

// seccompFilter returns the BPF program, or nil on an architecture we
// have no audit value for (the caller then reports no seccomp layer).
func seccompFilter() []unix.SockFilter {
	var arch uint32
	switch runtime.GOARCH {
	case "amd64":
		arch = unix.AUDIT_ARCH_X86_64
	case "arm64":
		arch = unix.AUDIT_ARCH_AARCH64
	default:
		return nil
	}
	const (
		offNr   = 0
		offArch = 4
		offArg0 = 16 // low 32 bits on little-endian
	)
	errno := func(e unix.Errno) uint32 { return unix.SECCOMP_RET_ERRNO | uint32(e) }
	stmt := func(code uint16, k uint32) unix.SockFilter { return unix.SockFilter{Code: code, K: k} }
	jump := func(code uint16, k uint32, jt, jf uint8) unix.SockFilter {
		return unix.SockFilter{Code: code, K: k, Jt: jt, Jf: jf}
	}
	ld := uint16(unix.BPF_LD | unix.BPF_W | unix.BPF_ABS)
	jeq := uint16(unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K)
	ret := uint16(unix.BPF_RET | unix.BPF_K)

	f := []unix.SockFilter{
		stmt(ld, offArch),
		jump(jeq, arch, 1, 0),
		stmt(ret, unix.SECCOMP_RET_KILL_PROCESS),
		stmt(ld, offNr),
	}
	if arch == unix.AUDIT_ARCH_X86_64 {
		// x32 system calls share the arch value; refuse them wholesale.
		f = append(f, jump(uint16(unix.BPF_JMP|unix.BPF_JGE|unix.BPF_K), 0x40000000, 0, 1), stmt(ret, errno(unix.EPERM)))
	}
	for _, nr := range deniedSyscalls {
		f = append(f, jump(jeq, uint32(nr), 0, 1), stmt(ret, errno(unix.EPERM)))
	}
	// clone3 passes its flags in memory the filter cannot read: ENOSYS makes
	// libc fall back to clone(2), whose flags it can.
	f = append(f, jump(jeq, unix.SYS_CLONE3, 0, 1), stmt(ret, errno(unix.ENOSYS)))
	f = append(f,
		jump(jeq, unix.SYS_CLONE, 0, 3),
		stmt(ld, offArg0),
		jump(uint16(unix.BPF_JMP|unix.BPF_JSET|unix.BPF_K), cloneNSFlags, 0, 1),
		stmt(ret, errno(unix.EPERM)),
		stmt(ret, unix.SECCOMP_RET_ALLOW),
	)
	return f
}

// installSeccomp applies the filter to the calling thread (no TSYNC: the
// launcher execs from this thread). no_new_privs must already be set.
func installSeccomp(f []unix.SockFilter) error {
	if len(f) == 0 {
		return errors.New("seccomp: unsupported architecture")
	}
	prog := unix.SockFprog{Len: uint16(len(f)), Filter: &f[0]}
	if _, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uintptr(unsafe.Pointer(&prog))); errno != 0 {
		return errno
	}
	return nil
}
