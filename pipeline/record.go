package pipeline

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/airlock-dev/airlock/policy"
	"github.com/airlock-dev/airlock/sandbox/files"
	"github.com/airlock-dev/airlock/store"
)

// Record is everything known about one action; it is stored as JSON.
type Record struct {
	ID        string       `json:"id"`
	Status    store.Status `json:"status"`
	Workspace string       `json:"workspace"`
	Principal string       `json:"principal"`
	// PrincipalKind and OnBehalfOf describe who asked, for approvers'
	// separation-of-duties checks.
	PrincipalKind string `json:"principal_kind"`
	OnBehalfOf    string `json:"on_behalf_of,omitempty"`
	// Environment is the workspace's environment when the action was asked.
	Environment string         `json:"environment"`
	SessionID   string         `json:"session_id"`
	Kind        string         `json:"kind"`
	Intent      string         `json:"intent"`
	Decision    DecisionRecord `json:"decision"`
	// Recheck is the policy's decision when an approved action was judged
	// again just before executing.
	Recheck *DecisionRecord `json:"recheck,omitempty"`
	Plan    policy.Plan     `json:"plan"`
	// PolicyAction, Session and WorkspaceLabels complete the policy input the
	// action was judged with (RecordedInput rebuilds it for replay).
	PolicyAction    policy.Action     `json:"policy_action"`
	Session         policy.Session    `json:"session"`
	WorkspaceLabels map[string]string `json:"workspace_labels,omitempty"`
	Result          *Result           `json:"result,omitempty"`
	Failure         *Failure          `json:"failure,omitempty"`
	CreatedAt       time.Time         `json:"created_at"`
	UpdatedAt       time.Time         `json:"updated_at"`
	// ExpiresAt is when a pending action expires.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// DecisionRecord is the stored form of a policy decision.
type DecisionRecord struct {
	Effect   policy.Effect        `json:"effect"`
	Reasons  []policy.Reason      `json:"reasons"`
	Revision string               `json:"revision"`
	Approval *policy.Approval     `json:"approval,omitempty"`
	Sandbox  *policy.SandboxGrant `json:"sandbox,omitempty"`
}

func decisionRecord(d policy.Decision) DecisionRecord {
	return DecisionRecord{Effect: d.Effect, Reasons: d.Reasons, Revision: d.Revision, Approval: d.Approval, Sandbox: d.Sandbox}
}

// Failure says why an allowed action did not complete.
type Failure struct {
	Reason  Reason `json:"reason"`
	Message string `json:"message"`
	// Matches is edit_file's match count for an edit mismatch.
	Matches int `json:"matches,omitempty"`
}

// Result is what an executed action produced; one field is set.
type Result struct {
	Read    *files.ReadResult  `json:"read,omitempty"`
	Write   *files.WriteResult `json:"write,omitempty"`
	Edit    *EditResult        `json:"edit,omitempty"`
	Delete  *struct{}          `json:"delete,omitempty"`
	Move    *struct{}          `json:"move,omitempty"`
	MakeDir *MakeDirResult     `json:"make_dir,omitempty"`
	List    *ListResult        `json:"list,omitempty"`
	Patch   *PatchResult       `json:"patch,omitempty"`
	Exec    *ExecResult        `json:"exec,omitempty"`
}

// EditResult describes an edited file.
type EditResult struct {
	SHA256       string `json:"sha256"`
	Replacements int    `json:"replacements"`
}

// MakeDirResult says whether the directory was new.
type MakeDirResult struct {
	Created bool `json:"created"`
}

// ListResult is a directory listing.
type ListResult struct {
	Entries   []files.Entry `json:"entries"`
	Truncated bool          `json:"truncated"`
}

// PatchResult lists the files a patch changed.
type PatchResult struct {
	Files []PatchedFile `json:"files"`
}

// PatchedFile is one file a patch changed.
type PatchedFile struct {
	Path   string `json:"path"`
	Op     string `json:"op"`
	SHA256 string `json:"sha256"`
}

// ExecResult is a command's outcome.
type ExecResult struct {
	ExitCode    int           `json:"exit_code"`
	Signal      string        `json:"signal,omitempty"`
	TimedOut    bool          `json:"timed_out"`
	Stdout      []byte        `json:"stdout,omitempty"`
	Stderr      []byte        `json:"stderr,omitempty"`
	StdoutBytes int64         `json:"stdout_bytes"`
	StderrBytes int64         `json:"stderr_bytes"`
	Truncated   bool          `json:"truncated"`
	Duration    time.Duration `json:"duration"`
	Layers      []string      `json:"layers"`
}

// InterruptedRecord rewrites a stored record of an action that was running
// when the server stopped (store.Actions.MarkInterrupted).
func InterruptedRecord(a *store.Action) []byte {
	var rec Record
	if err := json.Unmarshal(a.Record, &rec); err != nil {
		rec = Record{ID: a.ID, Workspace: a.Workspace, Principal: a.Principal, SessionID: a.SessionID, Kind: a.Kind}
	}
	rec.Status = store.StatusInterrupted
	rec.Failure = &Failure{Reason: ReasonInternal, Message: "the server stopped while the action was running; its outcome is unknown"}
	return mustJSON(&rec)
}

// RecordedInput rebuilds the policy input a stored action was judged with
// (for replay against a candidate policy and for `airlock policy input`).
func RecordedInput(a *store.Action) (*policy.Input, error) {
	var rec Record
	if err := json.Unmarshal(a.Record, &rec); err != nil {
		return nil, fmt.Errorf("decoding action %s: %w", a.ID, err)
	}
	req, err := decodeRequest(a)
	if err != nil {
		return nil, err
	}
	pr := req.Principal
	return &policy.Input{
		Version:   policy.InputVersion,
		Action:    rec.PolicyAction,
		Plan:      rec.Plan,
		Principal: policy.Principal{ID: pr.ID, Kind: pr.Kind, Roles: nonNil(pr.Roles), OnBehalfOf: pr.OnBehalfOf},
		Workspace: policy.Workspace{Name: rec.Workspace, Environment: rec.Environment, Labels: nonNilMap(rec.WorkspaceLabels)},
		Session:   rec.Session,
		Request:   policy.Request{Intent: rec.Intent, Labels: nonNilMap(req.Labels), Time: rec.CreatedAt.UTC().Format(time.RFC3339)},
	}, nil
}

// encode is the stored form of the record. Diffs, which carry file content,
// are kept only for escalated actions, where approvers need to see them; for
// allowed and denied actions the store keeps paths and line counts (and the
// hashes of allowed targets),
// so it does not accumulate what agents wrote or tried to write (the caller
// got the diff in its response).
func (r *Record) encode() []byte {
	if r.Decision.Effect == policy.Escalate {
		return mustJSON(r)
	}
	c := *r
	c.Plan.Paths = make([]policy.PlannedPath, len(r.Plan.Paths))
	for i, pp := range r.Plan.Paths {
		pp.Diff, pp.DiffTruncated = "", false
		if r.Decision.Effect != policy.Allow {
			pp.SHA256 = "" // a denied target's hash is none of the record's business
		}
		c.Plan.Paths[i] = pp
	}
	return mustJSON(&c)
}
