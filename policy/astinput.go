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
	return obj(
		kv("version", intTerm(int64(in.Version))),
		kv("action", actionTerm(&in.Action)),
		kv("plan", planTerm(&in.Plan)),
		kv("principal", obj(
			kv("id", str(in.Principal.ID)),
			kv("kind", str(in.Principal.Kind)),
			kv("roles", strs(in.Principal.Roles)),
			optStr("on_behalf_of", in.Principal.OnBehalfOf),
		)),
		kv("workspace", obj(
			kv("name", str(in.Workspace.Name)),
			kv("environment", str(in.Workspace.Environment)),
			kv("labels", strMap(in.Workspace.Labels)),
		)),
		kv("session", obj(
			kv("id", str(in.Session.ID)),
			kv("actions", intTerm(int64(in.Session.Actions))),
			kv("files_changed", intTerm(int64(in.Session.FilesChanged))),
			kv("lines_changed", intTerm(int64(in.Session.LinesChanged))),
		)),
		kv("request", obj(
			kv("intent", str(in.Request.Intent)),
			kv("labels", strMap(in.Request.Labels)),
			kv("time", str(in.Request.Time)),
		)),
	).Value
}

func actionTerm(a *Action) *ast.Term {
	return obj(
		kv("kind", str(a.Kind)),
		optStr("path", a.Path),
		optStr("to_path", a.ToPath),
		optInt("offset", a.Offset),
		optInt("limit", a.Limit),
		optInt("mode", int64(a.Mode)),
		optBool("create_only", a.CreateOnly),
		optBool("replace_all", a.ReplaceAll),
		optBool("overwrite", a.Overwrite),
		optBool("recursive", a.Recursive),
		optStr("expected_sha256", a.ExpectedSHA256),
		optInt("content_bytes", a.ContentBytes),
		optStrs("argv", a.Argv),
		optStr("script", a.Script),
		optStr("shell", a.Shell),
		optStr("cwd", a.Cwd),
		optMap("env", a.Env),
		optInt("timeout_ms", int64(a.TimeoutMS)),
	)
}

func planTerm(p *Plan) *ast.Term {
	var paths *ast.Term
	if p.Paths == nil {
		paths = ast.NullTerm()
	} else {
		ts := make([]*ast.Term, len(p.Paths))
		for i := range p.Paths {
			ts[i] = plannedPathTerm(&p.Paths[i])
		}
		paths = ast.ArrayTerm(ts...)
	}
	var cmd [2]*ast.Term
	if p.Command != nil {
		cmd = kv("command", commandTerm(p.Command))
	}
	return obj(
		kv("digest", str(p.Digest)),
		kv("mutating", ast.InternedTerm(p.Mutating)),
		kv("path", str(p.Path)),
		kv("top_dir", str(p.TopDir)),
		kv("dir", str(p.Dir)),
		kv("base", str(p.Base)),
		kv("ext", str(p.Ext)),
		kv("segments", strs(p.Segments)),
		kv("all_paths", strs(p.AllPaths)),
		kv("top_dirs", strs(p.TopDirs)),
		kv("bases", strs(p.Bases)),
		kv("exts", strs(p.Exts)),
		kv("written_paths", strs(p.WrittenPaths)),
		kv("paths", paths),
		kv("files_changed", intTerm(int64(p.FilesChanged))),
		kv("lines_added", intTerm(int64(p.LinesAdded))),
		kv("lines_removed", intTerm(int64(p.LinesRemoved))),
		kv("diff_bytes", intTerm(int64(p.DiffBytes))),
		cmd,
	)
}

func plannedPathTerm(p *PlannedPath) *ast.Term {
	return obj(
		kv("path", str(p.Path)),
		kv("op", str(p.Op)),
		kv("exists", ast.InternedTerm(p.Exists)),
		kv("is_dir", ast.InternedTerm(p.IsDir)),
		kv("size", intTerm(p.Size)),
		optStr("sha256", p.SHA256),
		kv("binary", ast.InternedTerm(p.Binary)),
		kv("top_dir", str(p.TopDir)),
		kv("dir", str(p.Dir)),
		kv("base", str(p.Base)),
		kv("ext", str(p.Ext)),
		kv("segments", strs(p.Segments)),
		kv("lines_added", intTerm(int64(p.LinesAdded))),
		kv("lines_removed", intTerm(int64(p.LinesRemoved))),
		optStr("diff", p.Diff),
		optBool("diff_truncated", p.DiffTruncated),
	)
}

func commandTerm(c *Command) *ast.Term {
	var cmds *ast.Term
	if c.Commands == nil {
		cmds = ast.NullTerm()
	} else {
		ts := make([]*ast.Term, len(c.Commands))
		for i := range c.Commands {
			ts[i] = simpleCommandTerm(&c.Commands[i])
		}
		cmds = ast.ArrayTerm(ts...)
	}
	return obj(
		kv("commands", cmds),
		kv("names", strs(c.Names)),
		kv("redirect_writes", strs(c.RedirectWrites)),
		kv("outside", ast.InternedTerm(c.Outside)),
		kv("dynamic", ast.InternedTerm(c.Dynamic)),
		kv("cwd", str(c.Cwd)),
	)
}

func simpleCommandTerm(c *SimpleCommand) *ast.Term {
	var redirects *ast.Term
	if c.Redirects == nil {
		redirects = ast.NullTerm()
	} else {
		ts := make([]*ast.Term, len(c.Redirects))
		for i := range c.Redirects {
			r := &c.Redirects[i]
			ts[i] = obj(
				kv("op", str(r.Op)),
				kv("target", str(r.Target)),
				kv("path", str(r.Path)),
				kv("outside", ast.InternedTerm(r.Outside)),
				kv("write", ast.InternedTerm(r.Write)),
			)
		}
		redirects = ast.ArrayTerm(ts...)
	}
	return obj(
		kv("name", str(c.Name)),
		kv("argv", strs(c.Argv)),
		kv("literal", ast.InternedTerm(c.Literal)),
		kv("op", str(c.Op)),
		kv("wrapped_by", strs(c.WrappedBy)),
		kv("redirects", redirects),
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

// kv pairs are [2]*ast.Term so that an omitted field is simply the zero pair,
// which obj skips.
func kv(k string, v *ast.Term) [2]*ast.Term {
	t, ok := keyTerms[k]
	if !ok {
		t = ast.StringTerm(k)
	}
	return [2]*ast.Term{t, v}
}

func obj(pairs ...[2]*ast.Term) *ast.Term {
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
	return ast.NewTerm(o)
}

var emptyString = ast.InternedTerm("")

// str makes a string term, replacing each invalid UTF-8 byte with U+FFFD as
// encoding/json does, so that a policy comparing a hostile path sees the same
// string whichever way the input reached it.
func str(s string) *ast.Term {
	if s == "" {
		return emptyString
	}
	if utf8.ValidString(s) {
		return ast.StringTerm(s)
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
	return ast.StringTerm(b.String())
}

func intTerm(i int64) *ast.Term { return ast.InternedTerm(i) }

func strs(ss []string) *ast.Term {
	if ss == nil {
		return ast.NullTerm()
	}
	ts := make([]*ast.Term, len(ss))
	for i, s := range ss {
		ts[i] = str(s)
	}
	return ast.ArrayTerm(ts...)
}

func strMap(m map[string]string) *ast.Term {
	if m == nil {
		return ast.NullTerm()
	}
	o := ast.NewObjectWithCapacity(len(m))
	for k, v := range m {
		o.Insert(str(k), str(v))
	}
	return ast.NewTerm(o)
}

func optStr(k, v string) [2]*ast.Term {
	if v == "" {
		return [2]*ast.Term{}
	}
	return kv(k, str(v))
}

func optInt(k string, v int64) [2]*ast.Term {
	if v == 0 {
		return [2]*ast.Term{}
	}
	return kv(k, intTerm(v))
}

func optBool(k string, v bool) [2]*ast.Term {
	if !v {
		return [2]*ast.Term{}
	}
	return kv(k, ast.InternedTerm(true))
}

func optStrs(k string, v []string) [2]*ast.Term {
	if len(v) == 0 {
		return [2]*ast.Term{}
	}
	return kv(k, strs(v))
}

func optMap(k string, v map[string]string) [2]*ast.Term {
	if len(v) == 0 {
		return [2]*ast.Term{}
	}
	return kv(k, strMap(v))
}
