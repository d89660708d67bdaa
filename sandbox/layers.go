package sandbox

import (
	"strconv"
	"strings"
)

// Layer names reported in Result.Layers and accepted in Conf.Required. They
// are part of the audit record, so they never change meaning.
const (
	LayerUserNS      = "userns"
	LayerPIDNS       = "pidns"
	LayerMountNS     = "mountns"
	LayerNetNS       = "netns"
	LayerIPCNS       = "ipcns"
	LayerUTSNS       = "utsns"
	LayerProc        = "proc"           // a fresh /proc for the PID namespace
	LayerPrivateTmp  = "private-tmp"    // tmpfs on /tmp and /dev/shm
	LayerReadOnly    = "readonly-paths" // read-only binds over Conf.ReadOnlyPaths
	LayerLandlock    = "landlock"       // reported as "landlock-v<ABI>"
	LayerNoNewPrivs  = "no_new_privs"
	LayerCapsDropped = "caps-dropped"
	LayerRlimits     = "rlimits"
	LayerCgroup      = "cgroup"
	LayerSeccomp     = "seccomp"
	LayerEnvScrubbed = "env-scrubbed"
	LayerTimeout     = "timeout"
)

var knownLayers = map[string]bool{
	LayerUserNS: true, LayerPIDNS: true, LayerMountNS: true, LayerNetNS: true, LayerIPCNS: true,
	LayerUTSNS: true, LayerProc: true, LayerPrivateTmp: true, LayerReadOnly: true, LayerLandlock: true,
	LayerNoNewPrivs: true, LayerCapsDropped: true, LayerRlimits: true, LayerCgroup: true,
	LayerSeccomp: true, LayerEnvScrubbed: true, LayerTimeout: true,
}

// hasLayer reports whether applied satisfies the required layer name;
// "landlock" is satisfied by any "landlock-v<N>".
func hasLayer(applied []string, name string) bool {
	for _, l := range applied {
		if l == name || (name == LayerLandlock && strings.HasPrefix(l, LayerLandlock+"-v")) {
			return true
		}
	}
	return false
}

// missingLayers returns the required layers that applied does not satisfy.
func missingLayers(applied, required []string) []string {
	var out []string
	for _, r := range required {
		if !hasLayer(applied, r) {
			out = append(out, r)
		}
	}
	return out
}

// Layers lists the layers a host with this support can apply (the names of
// Result.Layers, landlock as "landlock-v<ABI>").
func (s Support) Layers() []string {
	out := []string{LayerNoNewPrivs, LayerCapsDropped, LayerRlimits, LayerEnvScrubbed, LayerTimeout}
	for _, l := range []struct {
		ok   bool
		name string
	}{
		{s.UserNS, LayerUserNS}, {s.PIDNS, LayerPIDNS}, {s.MountNS, LayerMountNS}, {s.NetNS, LayerNetNS},
		{s.IPCNS, LayerIPCNS}, {s.UTSNS, LayerUTSNS}, {s.MountNS && s.PIDNS, LayerProc},
		{s.MountNS, LayerPrivateTmp}, {s.MountNS, LayerReadOnly}, {s.Seccomp, LayerSeccomp}, {s.Cgroup, LayerCgroup},
	} {
		if l.ok {
			out = append(out, l.name)
		}
	}
	if s.LandlockABI > 0 {
		out = append(out, LayerLandlock+"-v"+strconv.Itoa(s.LandlockABI))
	}
	return out
}

// Missing returns the required layers this host cannot apply: the server
// refuses to start when any is missing.
func (s Support) Missing(required []string) []string { return missingLayers(s.Layers(), required) }
