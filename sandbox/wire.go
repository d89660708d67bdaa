package sandbox

// launchSpec is what Run hands the launcher over the spec pipe. It carries
// decisions, not configuration: every path in it is already validated.
type launchSpec struct {
	Workspace string `json:"workspace"`
	// WorkspaceDev and WorkspaceIno identify the directory the server
	// resolved. A pooled launcher's mount namespace is a copy taken when it
	// was spawned, so a filesystem mounted since then may be missing from
	// it; the launcher refuses a workspace that is not this very directory.
	WorkspaceDev  uint64        `json:"workspace_dev"`
	WorkspaceIno  uint64        `json:"workspace_ino"`
	Cwd           string        `json:"cwd"`
	Argv          []string      `json:"argv"`
	Env           []string      `json:"env"`
	NS            nsSet         `json:"ns"`
	ReadablePaths []string      `json:"readable_paths"`
	ReadOnlyPaths []string      `json:"read_only_paths"`
	TmpBytes      int64         `json:"tmp_bytes"`
	Rlimits       []launchLimit `json:"rlimits"`
	Seccomp       bool          `json:"seccomp"`
	Network       bool          `json:"network"`
	// Stdin is set when the server feeds the stdin pipe; otherwise the
	// launcher puts /dev/null on fd 0.
	Stdin bool `json:"stdin"`
	// Required are the launcher-side layers that must be applied before
	// exec; the launcher refuses to exec without them.
	Required []string `json:"required"`
}

type launchLimit struct {
	Resource int    `json:"resource"`
	Value    uint64 `json:"value"`
}

// nsSet records which namespaces the launcher was cloned into.
type nsSet struct {
	User  bool `json:"user"`
	Mount bool `json:"mount"`
	PID   bool `json:"pid"`
	Net   bool `json:"net"`
	IPC   bool `json:"ipc"`
	UTS   bool `json:"uts"`
}

// launchStatus is the launcher's one message back, sent just before exec
// (the status pipe is close-on-exec, so EOF after it means exec happened or
// the launcher died).
type launchStatus struct {
	Layers []string `json:"layers,omitempty"`
	Error  string   `json:"error,omitempty"`
	// Stale is set with Error when the workspace the launcher sees is not
	// the one the server resolved (see launchSpec.WorkspaceDev): nothing
	// ran, and a freshly started launcher may succeed.
	Stale bool `json:"stale,omitempty"`
}

// readyByte is the launcher's first write on the status pipe: it is
// initialised and blocked reading its spec. The pool uses it to know a
// launcher is warm; a launcher that dies first closes the pipe instead.
const readyByte = 'R'
