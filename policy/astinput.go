package policy

import (
	"strings"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"
)

// ToValue converts in to the ast.Value that encoding it as JSON and parsing
// that back would give, without the round trip: the decision runs on every
// agent action and the JSON detour costs more than the evaluation of a small
// policy. It follows encoding/json exactly (omitempty, nil slices and maps as
// null) so that a policy sees the same document as `opa eval -i input.json`;
// astinput_test.go holds it to that.
func (in *Input) ToValue() ast.Value {
	if in == nil {
		return ast.Null{}
	}
	c := &conv{}
	return c.obj(
		c.kv("version", intTerm(int64(in.Version))),
		c.kv("action", c.actionTerm(&in.Action)),
		c.kv("plan", c.planTerm(&in.Plan)),
		c.kv("principal", c.obj(
			c.kv("id", c.str(in.Principal.ID)),
			c.kv("kind", c.str(in.Principal.Kind)),
			c.kv("roles", c.strs(in.Principal.Roles)),
			c.optStr("on_behalf_of", in.Principal.OnBehalfOf),
		)),
		c.kv("workspace", c.obj(
			c.kv("name", c.str(in.Workspace.Name)),
			c.kv("environment", c.str(in.Workspace.Environment)),
			c.kv("labels", c.strMap(in.Workspace.Labels)),
		)),
		c.kv("session", c.obj(
			c.kv("id", c.str(in.Session.ID)),
			c.kv("actions", intTerm(int64(in.Session.Actions))),
			c.kv("files_changed", intTerm(int64(in.Session.FilesChanged))),
			c.kv("lines_changed", intTerm(int64(in.Session.LinesChanged))),
		)),
		c.kv("request", c.obj(
			c.kv("intent", c.str(in.Request.Intent)),
			c.kv("labels", c.strMap(in.Request.Labels)),
			c.kv("time", c.str(in.Request.Time)),
		)),
	).Value
}

func (c *conv) actionTerm(a *Action) *ast.Term {
	return c.obj(
		c.kv("kind", c.str(a.Kind)),
		c.optStr("path", a.Path),
		c.optStr("to_path", a.ToPath),
		c.optInt("offset", a.Offset),
		c.optInt("limit", a.Limit),
		c.optInt("mode", int64(a.Mode)),
		c.optBool("create_only", a.CreateOnly),
		c.optBool("replace_all", a.ReplaceAll),
		c.optBool("overwrite", a.Overwrite),
		c.optBool("recursive", a.Recursive),
		c.optStr("expected_sha256", a.ExpectedSHA256),
		c.optInt("content_bytes", a.ContentBytes),
		c.optStrs("argv", a.Argv),
		c.optStr("script", a.Script),
		c.optStr("shell", a.Shell),
		c.optStr("cwd", a.Cwd),
		c.optMap("env", a.Env),
		c.optInt("timeout_ms", int64(a.TimeoutMS)),
	)
}

func (c *conv) planTerm(p *Plan) *ast.Term {
	var paths *ast.Term
	if p.Paths == nil {
		paths = nullTerm
	} else {
		ts := make([]*ast.Term, len(p.Paths))
		for i := range p.Paths {
			ts[i] = c.plannedPathTerm(&p.Paths[i])
		}
		paths = c.term(ast.NewArray(ts...))
	}
	var cmd [2]*ast.Term
	if p.Command != nil {
		cmd = c.kv("command", c.commandTerm(p.Command))
	}
	return c.obj(
		c.kv("digest", c.str(p.Digest)),
		c.kv("mutating", ast.InternedTerm(p.Mutating)),
		c.kv("path", c.str(p.Path)),
		c.kv("top_dir", c.str(p.TopDir)),
		c.kv("dir", c.str(p.Dir)),
		c.kv("base", c.str(p.Base)),
		c.kv("ext", c.str(p.Ext)),
		c.kv("segments", c.strs(p.Segments)),
		c.kv("all_paths", c.strs(p.AllPaths)),
		c.kv("top_dirs", c.strs(p.TopDirs)),
		c.kv("bases", c.strs(p.Bases)),
		c.kv("exts", c.strs(p.Exts)),
		c.kv("written_paths", c.strs(p.WrittenPaths)),
		c.kv("paths", paths),
		c.kv("files_changed", intTerm(int64(p.FilesChanged))),
		c.kv("lines_added", intTerm(int64(p.LinesAdded))),
		c.kv("lines_removed", intTerm(int64(p.LinesRemoved))),
		c.kv("diff_bytes", intTerm(int64(p.DiffBytes))),
		cmd,
	)
}

func (c *conv) plannedPathTerm(p *PlannedPath) *ast.Term {
	return c.obj(
		c.kv("path", c.str(p.Path)),
		c.kv("op", c.str(p.Op)),
		c.kv("exists", ast.InternedTerm(p.Exists)),
		c.kv("is_dir", ast.InternedTerm(p.IsDir)),
		c.kv("size", intTerm(p.Size)),
		c.optStr("sha256", p.SHA256),
		c.kv("binary", ast.InternedTerm(p.Binary)),
		c.kv("top_dir", c.str(p.TopDir)),
		c.kv("dir", c.str(p.Dir)),
		c.kv("base", c.str(p.Base)),
		c.kv("ext", c.str(p.Ext)),
		c.kv("segments", c.strs(p.Segments)),
		c.kv("lines_added", intTerm(int64(p.LinesAdded))),
		c.kv("lines_removed", intTerm(int64(p.LinesRemoved))),
		c.optStr("diff", p.Diff),
		c.optBool("diff_truncated", p.DiffTruncated),
	)
}

func (c *conv) commandTerm(cmd *Command) *ast.Term {
	var cmds *ast.Term
	if cmd.Commands == nil {
		cmds = nullTerm
	} else {
		ts := make([]*ast.Term, len(cmd.Commands))
		for i := range cmd.Commands {
			ts[i] = c.simpleCommandTerm(&cmd.Commands[i])
		}
		cmds = c.term(ast.NewArray(ts...))
	}
	return c.obj(
		c.kv("commands", cmds),
		c.kv("names", c.strs(cmd.Names)),
		c.kv("redirect_writes", c.strs(cmd.RedirectWrites)),
		c.kv("outside", ast.InternedTerm(cmd.Outside)),
		c.kv("dynamic", ast.InternedTerm(cmd.Dynamic)),
		c.kv("cwd", c.str(cmd.Cwd)),
	)
}

func (c *conv) simpleCommandTerm(sc *SimpleCommand) *ast.Term {
	var redirects *ast.Term
	if sc.Redirects == nil {
		redirects = nullTerm
	} else {
		ts := make([]*ast.Term, len(sc.Redirects))
		for i := range sc.Redirects {
			r := &sc.Redirects[i]
			ts[i] = c.obj(
				c.kv("op", c.str(r.Op)),
				c.kv("target", c.str(r.Target)),
				c.kv("path", c.str(r.Path)),
				c.kv("outside", ast.InternedTerm(r.Outside)),
				c.kv("write", ast.InternedTerm(r.Write)),
			)
		}
		redirects = c.term(ast.NewArray(ts...))
	}
	return c.obj(
		c.kv("name", c.str(sc.Name)),
		c.kv("argv", c.strs(sc.Argv)),
		c.kv("literal", ast.InternedTerm(sc.Literal)),
		c.kv("op", c.str(sc.Op)),
		c.kv("wrapped_by", c.strs(sc.WrappedBy)),
		c.kv("redirects", redirects),
	)
}

// keyTerms holds one shared term per field name, built once: keys are the
// same for every input, and allocating them per decision was a third of the
// converter's cost. OPA never mutates input terms, so sharing is safe.
var keyTerms = func() map[string]*ast.Term {
	names := []string{
		"version", "action", "plan", "principal", "workspace", "session", "request",
		"kind", "path", "to_path", "offset", "limit", "mode", "create_only", "replace_all",
		"overwrite", "recursive", "expected_sha256", "content_bytes", "argv", "script", "shell",
		"cwd", "env", "timeout_ms",
		"digest", "mutating", "top_dir", "dir", "base", "ext", "segments", "all_paths",
		"top_dirs", "bases", "exts", "written_paths", "paths", "files_changed", "lines_added",
		"lines_removed", "diff_bytes", "command",
		"op", "exists", "is_dir", "size", "sha256", "binary", "diff", "diff_truncated",
		"commands", "names", "redirect_writes", "outside", "dynamic",
		"name", "literal", "wrapped_by", "redirects", "target", "write",
		"id", "roles", "on_behalf_of", "environment", "labels", "actions", "lines_changed",
		"intent", "time",
	}
	m := make(map[string]*ast.Term, len(names))
	for _, n := range names {
		m[n] = ast.StringTerm(n)
	}
	return m
}()

// conv hands out terms from slabs: a decision's input is about a hundred
// terms, and one allocation per slab instead of one per term is a tenth of
// the converter's cost. The slabs live as long as any term in them, which is
// the lifetime of the input anyway.
type conv struct {
	slab []ast.Term
}

const slabSize = 64

var nullTerm = ast.NullTerm()

func (c *conv) term(v ast.Value) *ast.Term {
	if len(c.slab) == 0 {
		c.slab = make([]ast.Term, slabSize)
	}
	t := &c.slab[0]
	c.slab = c.slab[1:]
	t.Value = v
	return t
}

// kv pairs are [2]*ast.Term so that an omitted field is simply the zero pair,
// which obj skips.
func (c *conv) kv(k string, v *ast.Term) [2]*ast.Term {
	t, ok := keyTerms[k]
	if !ok {
		t = ast.StringTerm(k)
	}
	return [2]*ast.Term{t, v}
}

func (c *conv) obj(pairs ...[2]*ast.Term) *ast.Term {
	n := 0
	for _, p := range pairs {
		if p[0] != nil {
			n++
		}
	}
	o := ast.NewObjectWithCapacity(n)
	for _, p := range pairs {
		if p[0] != nil {
			o.Insert(p[0], p[1])
		}
	}
	return c.term(o)
}

var emptyString = ast.InternedTerm("")

// str makes a string term, replacing each invalid UTF-8 byte with U+FFFD as
// encoding/json does, so that a policy comparing a hostile path sees the same
// string whichever way the input reached it.
func (c *conv) str(s string) *ast.Term {
	if s == "" {
		return emptyString
	}
	if utf8.ValidString(s) {
		return c.term(ast.String(s))
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return c.term(ast.String(b.String()))
}

func intTerm(i int64) *ast.Term { return ast.InternedTerm(i) }

func (c *conv) strs(ss []string) *ast.Term {
	if ss == nil {
		return nullTerm
	}
	ts := make([]*ast.Term, len(ss))
	for i, s := range ss {
		ts[i] = c.str(s)
	}
	return c.term(ast.NewArray(ts...))
}

func (c *conv) strMap(m map[string]string) *ast.Term {
	if m == nil {
		return nullTerm
	}
	o := ast.NewObjectWithCapacity(len(m))
	for k, v := range m {
		o.Insert(c.str(k), c.str(v))
	}
	return c.term(o)
}

func (c *conv) optStr(k, v string) [2]*ast.Term {
	if v == "" {
		return [2]*ast.Term{}
	}
	return c.kv(k, c.str(v))
}

func (c *conv) optInt(k string, v int64) [2]*ast.Term {
	if v == 0 {
		return [2]*ast.Term{}
	}
	return c.kv(k, intTerm(v))
}

func (c *conv) optBool(k string, v bool) [2]*ast.Term {
	if !v {
		return [2]*ast.Term{}
	}
	return c.kv(k, ast.InternedTerm(true))
}

func (c *conv) optStrs(k string, v []string) [2]*ast.Term {
	if len(v) == 0 {
		return [2]*ast.Term{}
	}
	return c.kv(k, c.strs(v))
}

func (c *conv) optMap(k string, v map[string]string) [2]*ast.Term {
	if len(v) == 0 {
		return [2]*ast.Term{}
	}
	return c.kv(k, c.strMap(v))
}
