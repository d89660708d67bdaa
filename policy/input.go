package policy

// InputVersion is the version of the policy input contract (docs/POLICY.md).
const InputVersion = 1

// Input is what a policy sees for one action: data.airlock.decision is
// evaluated with this document as `input`. Field names are the JSON contract
// documented in docs/POLICY.md; change them only with a new InputVersion.
type Input struct {
	Version   int       `json:"version"`
	Action    Action    `json:"action"`
	Plan      Plan      `json:"plan"`
	Principal Principal `json:"principal"`
	Workspace Workspace `json:"workspace"`
	Session   Session   `json:"session"`
	Request   Request   `json:"request"`
}

// Action is the requested action's kind and parameters. File contents never
// appear here: the plan carries their size, hash and diff instead.
type Action struct {
	// Kind is one of read_file, write_file, edit_file, delete_file,
	// move_file, make_dir, list_dir, apply_patch, exec.
	Kind string `json:"kind"`
	// Path is the cleaned workspace-relative target (move_file: the source).
	Path string `json:"path,omitempty"`
	// ToPath is move_file's cleaned destination.
	ToPath string `json:"to_path,omitempty"`

	Offset         int64  `json:"offset,omitempty"`
	Limit          int64  `json:"limit,omitempty"`
	Mode           uint32 `json:"mode,omitempty"`
	CreateOnly     bool   `json:"create_only,omitempty"`
	ReplaceAll     bool   `json:"replace_all,omitempty"`
	Overwrite      bool   `json:"overwrite,omitempty"`
	Recursive      bool   `json:"recursive,omitempty"`
	ExpectedSHA256 string `json:"expected_sha256,omitempty"`
	ContentBytes   int64  `json:"content_bytes,omitempty"`

	// Exec parameters.
	Argv      []string          `json:"argv,omitempty"`
	Script    string            `json:"script,omitempty"`
	Shell     string            `json:"shell,omitempty"`
	Cwd       string            `json:"cwd,omitempty"`
	Env       map[string]string `json:"env,omitempty"`
	TimeoutMS uint32            `json:"timeout_ms,omitempty"`
}

// Plan holds the facts derived before judging. The primary target's facts
// (Path, TopDir, Dir, Base, Ext, Segments) are plain fields and the facts over
// every touched path are flat string arrays, so that ordinary rules are simple
// equality or membership tests that OPA's rule index can use, not loops.
type Plan struct {
	Digest string `json:"digest"`
	// Mutating is true for every kind that can change the workspace.
	Mutating bool `json:"mutating"`

	// Facts about the primary target path (move_file: the source; exec: the
	// cwd). For "deploy/prod/app.yaml": path "deploy/prod/app.yaml", top_dir
	// "deploy", dir "deploy/prod", base "app.yaml", ext ".yaml" (lower case),
	// segments ["deploy","prod","app.yaml"]. top_dir is the first segment,
	// so a file at the root is its own top_dir ("go.mod") with dir "."; the
	// root itself is path ".", base ".", top_dir "".
	Path     string   `json:"path"`
	TopDir   string   `json:"top_dir"`
	Dir      string   `json:"dir"`
	Base     string   `json:"base"`
	Ext      string   `json:"ext"`
	Segments []string `json:"segments"`

	// Facts over every path the action touches (sorted, without duplicates).
	AllPaths []string `json:"all_paths"`
	TopDirs  []string `json:"top_dirs"`
	Bases    []string `json:"bases"`
	Exts     []string `json:"exts"`
	// WrittenPaths are the paths the action would create, change, delete or move.
	WrittenPaths []string `json:"written_paths"`

	Paths []PlannedPath `json:"paths"`

	FilesChanged int `json:"files_changed"`
	LinesAdded   int `json:"lines_added"`
	LinesRemoved int `json:"lines_removed"`
	// DiffBytes is the size of the whole unified diff.
	DiffBytes int `json:"diff_bytes"`

	// Command is set for exec.
	Command *Command `json:"command,omitempty"`
}

// PlannedPath is one touched path as it was when planned.
type PlannedPath struct {
	Path          string   `json:"path"`
	Op            string   `json:"op"`
	Exists        bool     `json:"exists"`
	IsDir         bool     `json:"is_dir"`
	Size          int64    `json:"size"`
	SHA256        string   `json:"sha256,omitempty"`
	Binary        bool     `json:"binary"`
	TopDir        string   `json:"top_dir"`
	Dir           string   `json:"dir"`
	Base          string   `json:"base"`
	Ext           string   `json:"ext"`
	Segments      []string `json:"segments"`
	LinesAdded    int      `json:"lines_added"`
	LinesRemoved  int      `json:"lines_removed"`
	Diff          string   `json:"diff,omitempty"`
	DiffTruncated bool     `json:"diff_truncated,omitempty"`
}

// Command is the parsed structure of an exec action (see sandbox/shell).
type Command struct {
	Commands []SimpleCommand `json:"commands"`
	// Names is every command name that could run (argv[0], base name), sorted.
	Names []string `json:"names"`
	// WrittenPaths are redirection targets that write, resolved against the
	// workspace ("" entries never appear; outside targets are listed as written).
	RedirectWrites []string `json:"redirect_writes"`
	// Outside is true when any redirection or cwd points outside the workspace.
	Outside bool   `json:"outside"`
	Dynamic bool   `json:"dynamic"`
	Cwd     string `json:"cwd"`
}

// SimpleCommand is one program invocation.
type SimpleCommand struct {
	Name      string     `json:"name"`
	Argv      []string   `json:"argv"`
	Literal   bool       `json:"literal"`
	Op        string     `json:"op"`
	WrappedBy []string   `json:"wrapped_by"`
	Redirects []Redirect `json:"redirects"`
}

// Redirect is one redirection.
type Redirect struct {
	Op      string `json:"op"`
	Target  string `json:"target"`
	Path    string `json:"path"`
	Outside bool   `json:"outside"`
	Write   bool   `json:"write"`
}

// Principal is who asks.
type Principal struct {
	ID         string   `json:"id"`
	Kind       string   `json:"kind"` // "agent" or "human"
	Roles      []string `json:"roles"`
	OnBehalfOf string   `json:"on_behalf_of,omitempty"`
}

// Workspace is where the action happens.
type Workspace struct {
	Name        string            `json:"name"`
	Environment string            `json:"environment"`
	Labels      map[string]string `json:"labels"`
}

// Session holds the running totals of the session before this action.
type Session struct {
	ID           string `json:"id"`
	Actions      int    `json:"actions"`
	FilesChanged int    `json:"files_changed"`
	LinesChanged int    `json:"lines_changed"`
}

// Request is the request's context.
type Request struct {
	Intent string            `json:"intent"`
	Labels map[string]string `json:"labels"`
	// Time is RFC 3339 in UTC.
	Time string `json:"time"`
}
