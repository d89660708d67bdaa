//go:build !linux

package sandbox

import (
	"context"
	"errors"
)

// ErrUnsupported is returned by Run on systems without the Linux layers.
var ErrUnsupported = errors.New("sandbox: command sandbox requires Linux")

// Support is what this host can provide: nothing, off Linux.
type Support struct {
	UserNS, MountNS, PIDNS, NetNS, IPCNS, UTSNS bool
	LandlockABI                                 int
	Seccomp                                     bool
	Cgroup                                      bool
	CgroupParent                                string
	Root                                        bool
}

// Probe reports no support: commands never run unsandboxed.
func Probe() Support { return Support{} }

// MaybeRunLauncher does nothing off Linux.
func MaybeRunLauncher() {}

// Run refuses: there is no honest sandbox to offer here.
func Run(context.Context, Conf, Spec) (*Result, error) { return nil, ErrUnsupported }

// Pool runs nothing off Linux either.
type Pool struct{}

// NewPool returns a pool whose Run refuses.
func NewPool(Conf) *Pool { return &Pool{} }

// Run refuses, like Run.
func (*Pool) Run(context.Context, Spec) (*Result, error) { return nil, ErrUnsupported }

// Prewarm refuses.
func (*Pool) Prewarm(string, bool) error { return ErrUnsupported }

// Close does nothing.
func (*Pool) Close() error { return nil }
