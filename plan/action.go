package plan

// Kind names an action kind; the values are the policy input's action.kind.
type Kind string

// Kinds.
const (
	ReadFile   Kind = "read_file"
	WriteFile  Kind = "write_file"
	EditFile   Kind = "edit_file"
	DeleteFile Kind = "delete_file"
	MoveFile   Kind = "move_file"
	MakeDir    Kind = "make_dir"
	ListDir    Kind = "list_dir"
	ApplyPatch Kind = "apply_patch"
	Exec       Kind = "exec"
)

// Mutating reports whether the kind can change the workspace.
func (k Kind) Mutating() bool {
	switch k {
	case ReadFile, ListDir:
		return false
	}
	return true
}

// Action is a requested action as the agent sent it (paths not yet
// cleaned). It is stored as JSON so that an escalated action can be
// executed exactly later.
type Action struct {
	Kind           Kind              `json:"kind"`
	Path           string            `json:"path,omitempty"`
	ToPath         string            `json:"to_path,omitempty"`
	Content        []byte            `json:"content,omitempty"`
	Mode           uint32            `json:"mode,omitempty"`
	CreateOnly     bool              `json:"create_only,omitempty"`
	ExpectedSHA256 string            `json:"expected_sha256,omitempty"`
	OldText        string            `json:"old_text,omitempty"`
	NewText        string            `json:"new_text,omitempty"`
	ReplaceAll     bool              `json:"replace_all,omitempty"`
	Overwrite      bool              `json:"overwrite,omitempty"`
	Offset         int64             `json:"offset,omitempty"`
	Limit          int64             `json:"limit,omitempty"`
	Recursive      bool              `json:"recursive,omitempty"`
	MaxDepth       int               `json:"max_depth,omitempty"`
	MaxEntries     int               `json:"max_entries,omitempty"`
	Patch          string            `json:"patch,omitempty"`
	Argv           []string          `json:"argv,omitempty"`
	Script         string            `json:"script,omitempty"`
	Shell          string            `json:"shell,omitempty"`
	Cwd            string            `json:"cwd,omitempty"`
	Env            map[string]string `json:"env,omitempty"`
	Stdin          []byte            `json:"stdin,omitempty"`
	TimeoutMS      uint32            `json:"timeout_ms,omitempty"`
}
