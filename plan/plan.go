package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/airlock-dev/airlock/plan/shell"
	"github.com/airlock-dev/airlock/policy"
	"github.com/airlock-dev/airlock/sandbox/files"
)

// Plan is a planned action: the facts for the policy and what execution
// needs to carry out exactly what was judged.
type Plan struct {
	// Action is the policy's view of the request (cleaned paths, no content).
	Action policy.Action
	// Facts is the policy input's plan.
	Facts policy.Plan
	// Changes are the file writes to commit, each bound to the state seen
	// here (write_file, edit_file, apply_patch).
	Changes []files.Change
	// Observed maps each touched path to its SHA-256 ("" when absent or not
	// a regular file): the state an approval binds to.
	Observed map[string]string
	// Replacements is edit_file's number of replaced occurrences.
	Replacements int
	// Deferred is an error execution will report if the policy allows the
	// action (missing file, edit mismatch, patch conflict...).
	Deferred error
}

// Build plans a for workspace ws rooted at root. The error is a files.Error
// (or a *shell error for exec) describing input that no policy can make valid.
func Build(root *files.Root, ws string, a *Action, lim files.Limits) (*Plan, error) {
	b := &builder{root: root, lim: lim, p: &Plan{Observed: map[string]string{}}}
	b.p.Action = policy.Action{
		Kind:           string(a.Kind),
		Offset:         a.Offset,
		Limit:          a.Limit,
		Mode:           a.Mode,
		CreateOnly:     a.CreateOnly,
		ReplaceAll:     a.ReplaceAll,
		Overwrite:      a.Overwrite,
		Recursive:      a.Recursive,
		ExpectedSHA256: a.ExpectedSHA256,
		ContentBytes:   int64(len(a.Content)),
	}
	var err error
	switch a.Kind {
	case ReadFile:
		err = b.read(a)
	case WriteFile:
		err = b.write(a)
	case EditFile:
		err = b.edit(a)
	case DeleteFile:
		err = b.delete(a)
	case MoveFile:
		err = b.move(a)
	case MakeDir:
		err = b.mkdir(a)
	case ListDir:
		err = b.list(a)
	case ApplyPatch:
		err = b.patch(a)
	case Exec:
		err = b.exec(a)
	default:
		err = &files.Error{Code: files.InvalidPath, Op: "plan", Msg: fmt.Sprintf("unknown action kind %q", a.Kind)}
	}
	if err != nil {
		return nil, err
	}
	b.finish(ws, a)
	return b.p, nil
}

type builder struct {
	root *files.Root
	lim  files.Limits
	p    *Plan
}

// defer records the first content-dependent error for execution time.
func (b *builder) deferErr(err error) {
	if b.p.Deferred == nil {
		b.p.Deferred = err
	}
}

// observe cleans p and records what is there now. withContent reads a
// regular file's bytes (for diffs and hashes).
func (b *builder) observe(raw, op string, withContent bool) (string, files.Info, []byte, error) {
	clean, err := b.root.Clean(raw)
	if err != nil {
		return "", files.Info{}, nil, err
	}
	var info files.Info
	var content []byte
	var readErr error
	if withContent {
		if info, content, readErr, err = b.root.StatRead(clean); err != nil {
			return "", files.Info{}, nil, err
		}
	} else if info, err = b.root.Stat(clean); err != nil {
		return "", files.Info{}, nil, err
	}
	pp := pathFacts(clean)
	pp.Op = op
	pp.Exists = info.Exists
	pp.IsDir = info.IsDir
	if info.IsRegular {
		pp.Size = info.Size // a directory's size is the file system's business
	}
	if info.Exists && info.IsRegular && withContent {
		switch err := readErr; {
		case err == nil:
			pp.SHA256 = files.SHA256Hex(content)
			pp.Binary = files.IsBinary(content)
		case files.CodeOf(err) == files.Escape || files.CodeOf(err) == files.InvalidPath:
			return "", files.Info{}, nil, err
		default:
			content = nil
			b.deferErr(err)
		}
	}
	b.p.Observed[clean] = pp.SHA256
	b.p.Facts.Paths = append(b.p.Facts.Paths, pp)
	return clean, info, content, nil
}

// last returns the most recently observed path's facts for amendment.
func (b *builder) last() *policy.PlannedPath { return &b.p.Facts.Paths[len(b.p.Facts.Paths)-1] }

func (b *builder) read(a *Action) error {
	clean, info, _, err := b.observe(a.Path, "read", false)
	if err != nil {
		return err
	}
	b.p.Action.Path = clean
	switch {
	case !info.Exists:
		b.deferErr(&files.Error{Code: files.NotFound, Op: "read_file", Path: clean, Msg: "does not exist"})
	case info.IsDir:
		b.deferErr(&files.Error{Code: files.WrongType, Op: "read_file", Path: clean, Msg: "is a directory; use list_dir"})
	}
	return nil
}

func (b *builder) write(a *Action) error {
	if int64(len(a.Content)) > b.lim.MaxFileBytes {
		return &files.Error{Code: files.TooLarge, Op: "write_file", Path: a.Path, Msg: fmt.Sprintf("content is %d bytes; the limit is %d", len(a.Content), b.lim.MaxFileBytes)}
	}
	clean, info, old, err := b.observe(a.Path, "write", true)
	if err != nil {
		return err
	}
	b.p.Action.Path = clean
	switch {
	case info.Exists && info.IsDir:
		b.deferErr(&files.Error{Code: files.WrongType, Op: "write_file", Path: clean, Msg: "is a directory"})
	case info.Exists && a.CreateOnly:
		b.deferErr(&files.Error{Code: files.Exists, Op: "write_file", Path: clean, Msg: "already exists and create_only is set"})
	case a.ExpectedSHA256 != "" && a.ExpectedSHA256 != b.last().SHA256:
		b.deferErr(&files.Error{Code: files.Changed, Op: "write_file", Path: clean, Msg: "content does not match expected_sha256"})
	}
	if !info.Exists {
		b.last().Op = "create"
	}
	b.diff(clean, old, a.Content)
	b.p.Changes = append(b.p.Changes, files.Change{
		Path: clean, Op: changeOp(info.Exists), Content: a.Content,
		ExpectedSHA256: b.last().SHA256, Mode: fs.FileMode(a.Mode),
	})
	return nil
}

func (b *builder) edit(a *Action) error {
	clean, info, old, err := b.observe(a.Path, "write", true)
	if err != nil {
		return err
	}
	b.p.Action.Path = clean
	switch {
	case !info.Exists:
		b.deferErr(&files.Error{Code: files.NotFound, Op: "edit_file", Path: clean, Msg: "does not exist"})
		return nil
	case !info.IsRegular:
		b.deferErr(&files.Error{Code: files.WrongType, Op: "edit_file", Path: clean, Msg: "is not a regular file"})
		return nil
	case b.p.Deferred != nil:
		return nil
	case b.last().Binary:
		b.deferErr(&files.Error{Code: files.Binary, Op: "edit_file", Path: clean, Msg: "is not UTF-8 text; use write_file"})
		return nil
	case a.ExpectedSHA256 != "" && a.ExpectedSHA256 != b.last().SHA256:
		b.deferErr(&files.Error{Code: files.Changed, Op: "edit_file", Path: clean, Msg: "content does not match expected_sha256"})
		return nil
	}
	updated, n, err := files.Replace(old, a.OldText, a.NewText, a.ReplaceAll)
	if err != nil {
		b.deferErr(err)
		return nil
	}
	b.p.Replacements = n
	b.diff(clean, old, updated)
	b.p.Changes = append(b.p.Changes, files.Change{Path: clean, Op: "modify", Content: updated, ExpectedSHA256: b.last().SHA256})
	return nil
}

func (b *builder) delete(a *Action) error {
	clean, info, old, err := b.observe(a.Path, "delete", true)
	if err != nil {
		return err
	}
	if clean == "." {
		return &files.Error{Code: files.InvalidPath, Op: "delete_file", Path: clean, Msg: "the workspace root cannot be deleted"}
	}
	b.p.Action.Path = clean
	switch {
	case !info.Exists:
		b.deferErr(&files.Error{Code: files.NotFound, Op: "delete_file", Path: clean, Msg: "does not exist"})
	case a.ExpectedSHA256 != "" && a.ExpectedSHA256 != b.last().SHA256:
		b.deferErr(&files.Error{Code: files.Changed, Op: "delete_file", Path: clean, Msg: "content does not match expected_sha256"})
	}
	if info.Exists {
		b.diff(clean, old, nil)
	}
	return nil
}

func (b *builder) move(a *Action) error {
	from, finfo, _, err := b.observe(a.Path, "move_from", true)
	if err != nil {
		return err
	}
	to, tinfo, _, err := b.observe(a.ToPath, "move_to", true)
	if err != nil {
		return err
	}
	if from == "." || to == "." {
		return &files.Error{Code: files.InvalidPath, Op: "move_file", Path: ".", Msg: "the workspace root cannot be moved"}
	}
	if from == to || strings.HasPrefix(to, from+"/") {
		return &files.Error{Code: files.InvalidPath, Op: "move_file", Path: to, Msg: "cannot move a path onto itself or into itself"}
	}
	b.p.Action.Path, b.p.Action.ToPath = from, to
	switch {
	case !finfo.Exists:
		b.deferErr(&files.Error{Code: files.NotFound, Op: "move_file", Path: from, Msg: "does not exist"})
	case tinfo.Exists && !a.Overwrite:
		b.deferErr(&files.Error{Code: files.Exists, Op: "move_file", Path: to, Msg: "destination exists and overwrite is not set"})
	}
	b.p.Facts.FilesChanged++
	return nil
}

func (b *builder) mkdir(a *Action) error {
	clean, info, _, err := b.observe(a.Path, "create", false)
	if err != nil {
		return err
	}
	b.p.Action.Path = clean
	if info.Exists && !info.IsDir {
		b.deferErr(&files.Error{Code: files.WrongType, Op: "make_dir", Path: clean, Msg: "exists and is not a directory"})
	}
	return nil
}

func (b *builder) list(a *Action) error {
	raw := a.Path
	if raw == "" {
		raw = "."
	}
	clean, info, _, err := b.observe(raw, "list", false)
	if err != nil {
		return err
	}
	b.p.Action.Path = clean
	switch {
	case !info.Exists:
		b.deferErr(&files.Error{Code: files.NotFound, Op: "list_dir", Path: clean, Msg: "does not exist"})
	case !info.IsDir:
		b.deferErr(&files.Error{Code: files.WrongType, Op: "list_dir", Path: clean, Msg: "is not a directory"})
	}
	return nil
}

func (b *builder) patch(a *Action) error {
	if len(a.Patch) > int(b.lim.MaxFileBytes) {
		return &files.Error{Code: files.TooLarge, Op: "apply_patch", Msg: fmt.Sprintf("patch is %d bytes; the limit is %d", len(a.Patch), b.lim.MaxFileBytes)}
	}
	p, err := files.ParsePatch(a.Patch)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, fp := range p.Files {
		target := fp.NewPath
		if fp.Op == "delete" {
			target = fp.OldPath
		}
		if seen[target] {
			return &files.Error{Code: files.PatchInvalid, Op: "apply_patch", Path: target, Msg: "the patch touches this file twice"}
		}
		seen[target] = true
		op := map[string]string{"create": "create", "modify": "write", "delete": "delete"}[fp.Op]
		clean, info, old, err := b.observe(target, op, true)
		if err != nil {
			return err
		}
		switch {
		case fp.Op == "create" && info.Exists:
			b.deferErr(&files.Error{Code: files.Exists, Op: "apply_patch", Path: clean, Msg: "the patch creates a file that exists"})
			continue
		case fp.Op != "create" && !info.Exists:
			b.deferErr(&files.Error{Code: files.NotFound, Op: "apply_patch", Path: clean, Msg: "the patch changes a file that does not exist"})
			continue
		case info.Exists && !info.IsRegular:
			b.deferErr(&files.Error{Code: files.WrongType, Op: "apply_patch", Path: clean, Msg: "is not a regular file"})
			continue
		}
		updated, err := fp.Apply(old)
		if err != nil {
			b.deferErr(err)
			continue
		}
		if fp.Op == "delete" {
			updated = nil
		}
		b.diff(clean, old, updated)
		b.p.Changes = append(b.p.Changes, files.Change{Path: clean, Op: fp.Op, Content: updated, ExpectedSHA256: b.last().SHA256})
	}
	if len(b.p.Facts.Paths) > 0 {
		b.p.Action.Path = b.p.Facts.Paths[0].Path
	}
	return nil
}

func (b *builder) exec(a *Action) error {
	raw := a.Cwd
	if raw == "" {
		raw = "."
	}
	cwd, info, _, err := b.observe(raw, "exec", false)
	if err != nil {
		return err
	}
	if !info.Exists || !info.IsDir {
		b.deferErr(&files.Error{Code: files.WrongType, Op: "exec", Path: cwd, Msg: "cwd is not a directory"})
	}
	var cmd *policy.Command
	if a.Script != "" {
		sh := a.Shell
		if sh == "" {
			sh = "sh"
		}
		cmd, err = shell.ParseScript(a.Script, sh, cwd, shell.DefaultResolver(cwd))
	} else {
		cmd, err = shell.ParseArgv(a.Argv, cwd, shell.DefaultResolver(cwd))
	}
	if err != nil {
		return &CommandError{Err: err}
	}
	b.p.Action.Argv, b.p.Action.Script, b.p.Action.Shell = a.Argv, a.Script, a.Shell
	b.p.Action.Cwd, b.p.Action.Env, b.p.Action.TimeoutMS = cwd, a.Env, a.TimeoutMS
	b.p.Action.Path = cwd
	b.p.Facts.Command = cmd
	return nil
}

// CommandError reports a command that cannot be parsed or planned.
type CommandError struct{ Err error }

func (e *CommandError) Error() string { return "command cannot be planned: " + e.Err.Error() }
func (e *CommandError) Unwrap() error { return e.Err }

// diff records the change from old to new on the last observed path and
// counts it as one changed file.
func (b *builder) diff(p string, old, new []byte) {
	pp := b.last()
	if files.IsBinary(old) || files.IsBinary(new) {
		pp.Binary = true
	} else {
		pp.Diff, pp.LinesAdded, pp.LinesRemoved, pp.DiffTruncated = files.UnifiedDiff(p, old, new, b.lim.MaxDiffBytes)
	}
	b.p.Facts.FilesChanged++
	b.p.Facts.LinesAdded += pp.LinesAdded
	b.p.Facts.LinesRemoved += pp.LinesRemoved
	b.p.Facts.DiffBytes += len(pp.Diff)
}

func changeOp(existed bool) string {
	if existed {
		return "modify"
	}
	return "create"
}

// pathFacts splits a clean path into the facts rules index on.
func pathFacts(p string) policy.PlannedPath {
	pp := policy.PlannedPath{Path: p, Base: path.Base(p), Dir: path.Dir(p)}
	if p == "." {
		pp.Segments = []string{}
		return pp
	}
	pp.Segments = strings.Split(p, "/")
	// The first segment, also for a file at the root: a rule like "writes
	// only under src/" must see "go.mod" as outside src, not as no path.
	pp.TopDir = pp.Segments[0]
	pp.Ext = strings.ToLower(path.Ext(pp.Base))
	return pp
}

// finish fills the flat facts and the digest.
func (b *builder) finish(ws string, a *Action) {
	f := &b.p.Facts
	f.Mutating = a.Kind.Mutating()
	if len(f.Paths) > 0 {
		first := f.Paths[0]
		f.Path, f.TopDir, f.Dir, f.Base, f.Ext, f.Segments = first.Path, first.TopDir, first.Dir, first.Base, first.Ext, first.Segments
	} else {
		f.Segments = []string{}
	}
	f.AllPaths, f.TopDirs, f.Bases, f.Exts, f.WrittenPaths = []string{}, []string{}, []string{}, []string{}, []string{}
	for _, pp := range f.Paths {
		f.AllPaths = append(f.AllPaths, pp.Path)
		if pp.TopDir != "" {
			f.TopDirs = append(f.TopDirs, pp.TopDir)
		}
		f.Bases = append(f.Bases, pp.Base)
		if pp.Ext != "" {
			f.Exts = append(f.Exts, pp.Ext)
		}
		switch pp.Op {
		case "write", "create", "delete", "move_from", "move_to":
			f.WrittenPaths = append(f.WrittenPaths, pp.Path)
		}
	}
	for _, s := range []*[]string{&f.AllPaths, &f.TopDirs, &f.Bases, &f.Exts, &f.WrittenPaths} {
		slices.Sort(*s)
		*s = slices.Compact(*s)
	}
	f.Digest = digest(ws, a, b.p)
}

// digest binds the workspace, the exact action (content by hash) and the
// observed state.
func digest(ws string, a *Action, p *Plan) string {
	doc := struct {
		V        int               `json:"v"`
		WS       string            `json:"ws"`
		Action   policy.Action     `json:"action"`
		Content  string            `json:"content"`
		OldText  string            `json:"old_text"`
		NewText  string            `json:"new_text"`
		Patch    string            `json:"patch"`
		Stdin    string            `json:"stdin"`
		Observed map[string]string `json:"observed"`
	}{1, ws, p.Action, hashOf(a.Content), hashOf([]byte(a.OldText)), hashOf([]byte(a.NewText)), hashOf([]byte(a.Patch)), hashOf(a.Stdin), p.Observed}
	raw, err := json.Marshal(doc)
	if err != nil {
		// Marshal of plain strings, maps and numbers cannot fail.
		panic(err)
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// emptyHash is hashOf(nil): most actions leave most digest inputs empty.
var emptyHash = func() string { sum := sha256.Sum256(nil); return hex.EncodeToString(sum[:]) }()

func hashOf(b []byte) string {
	if len(b) == 0 {
		return emptyHash
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
