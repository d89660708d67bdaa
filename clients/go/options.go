package client

import (
	"fmt"
	"maps"
	"time"

	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
)

// Opt adjusts one request. Options for a specific action kind (ReadRange,
// ReplaceAll, ...) make the call fail when given to another kind, so that a
// misplaced option is never silently ignored.
type Opt func(*call)

// call is the request being built and how to send it.
type call struct {
	req        *airlockv1.ActionRequest
	retries    int
	retriesSet bool
	err        error
}

func (c *call) fail(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf(format, args...)
	}
}

// WithIntent states why the agent wants the action; policies and approvers
// see it.
func WithIntent(intent string) Opt { return func(c *call) { c.req.Intent = intent } }

// WithSession groups the action with others of one agent session, whose
// running totals the policy sees.
func WithSession(id string) Opt { return func(c *call) { c.req.SessionId = id } }

// WithLabels adds free-form labels the policy sees.
func WithLabels(labels map[string]string) Opt {
	return func(c *call) {
		if c.req.Labels == nil {
			c.req.Labels = map[string]string{}
		}
		maps.Copy(c.req.Labels, labels)
	}
}

// WithIdempotencyKey makes the request safe to repeat: the server answers a
// repeat with the first answer and executes nothing twice.
func WithIdempotencyKey(key string) Opt { return func(c *call) { c.req.IdempotencyKey = key } }

// WithRetries retries the call up to n times after UNAVAILABLE, with
// backoff. Without an idempotency key one is generated, because a request
// that reached the server before the connection broke may have executed.
func WithRetries(n int) Opt {
	return func(c *call) {
		if n < 0 {
			n = 0
		}
		c.retries, c.retriesSet = n, true
	}
}

// ReadRange reads limit bytes from offset (read_file); limit 0 means up to
// the server's read limit.
func ReadRange(offset, limit int64) Opt {
	return kindOpt("ReadRange", func(a *airlockv1.Action) bool {
		r := a.GetReadFile()
		if r == nil {
			return false
		}
		r.Offset, r.Limit = offset, limit
		return true
	})
}

// FileMode sets the permission bits of a new file (write_file).
func FileMode(mode uint32) Opt {
	return kindOpt("FileMode", func(a *airlockv1.Action) bool {
		w := a.GetWriteFile()
		if w == nil {
			return false
		}
		w.Mode = mode
		return true
	})
}

// CreateOnly makes write_file fail instead of replacing an existing file.
func CreateOnly() Opt {
	return kindOpt("CreateOnly", func(a *airlockv1.Action) bool {
		w := a.GetWriteFile()
		if w == nil {
			return false
		}
		w.CreateOnly = true
		return true
	})
}

// ExpectSHA256 makes write_file, edit_file or delete_file happen only if the
// file's current SHA-256 (lowercase hex) is this, so that a change made
// since the agent last read it is never overwritten.
func ExpectSHA256(sum string) Opt {
	return kindOpt("ExpectSHA256", func(a *airlockv1.Action) bool {
		switch k := a.GetKind().(type) {
		case *airlockv1.Action_WriteFile:
			k.WriteFile.ExpectedSha256 = sum
		case *airlockv1.Action_EditFile:
			k.EditFile.ExpectedSha256 = sum
		case *airlockv1.Action_DeleteFile:
			k.DeleteFile.ExpectedSha256 = sum
		default:
			return false
		}
		return true
	})
}

// ReplaceAll makes edit_file replace every occurrence instead of requiring
// exactly one.
func ReplaceAll() Opt {
	return kindOpt("ReplaceAll", func(a *airlockv1.Action) bool {
		e := a.GetEditFile()
		if e == nil {
			return false
		}
		e.ReplaceAll = true
		return true
	})
}

// Overwrite lets move_file replace an existing destination file.
func Overwrite() Opt {
	return kindOpt("Overwrite", func(a *airlockv1.Action) bool {
		m := a.GetMoveFile()
		if m == nil {
			return false
		}
		m.Overwrite = true
		return true
	})
}

// Recursive makes list_dir descend maxDepth levels (0: the server default).
func Recursive(maxDepth uint32) Opt {
	return kindOpt("Recursive", func(a *airlockv1.Action) bool {
		l := a.GetListDir()
		if l == nil {
			return false
		}
		l.Recursive, l.MaxDepth = true, maxDepth
		return true
	})
}

// MaxEntries caps a list_dir answer.
func MaxEntries(n uint32) Opt {
	return kindOpt("MaxEntries", func(a *airlockv1.Action) bool {
		l := a.GetListDir()
		if l == nil {
			return false
		}
		l.MaxEntries = n
		return true
	})
}

// InDir runs a command in a workspace-relative directory (exec).
func InDir(cwd string) Opt {
	return kindOpt("InDir", func(a *airlockv1.Action) bool {
		e := a.GetExec()
		if e == nil {
			return false
		}
		e.Cwd = cwd
		return true
	})
}

// Env adds environment variables for a command (exec); the policy sees them.
func Env(env map[string]string) Opt {
	return kindOpt("Env", func(a *airlockv1.Action) bool {
		e := a.GetExec()
		if e == nil {
			return false
		}
		if e.Env == nil {
			e.Env = map[string]string{}
		}
		maps.Copy(e.Env, env)
		return true
	})
}

// Stdin gives a command its standard input (exec).
func Stdin(data []byte) Opt {
	return kindOpt("Stdin", func(a *airlockv1.Action) bool {
		e := a.GetExec()
		if e == nil {
			return false
		}
		e.Stdin = data
		return true
	})
}

// Timeout asks for a command time limit (exec); the policy and the server
// may cap it.
func Timeout(d time.Duration) Opt {
	return kindOpt("Timeout", func(a *airlockv1.Action) bool {
		e := a.GetExec()
		if e == nil {
			return false
		}
		ms := d.Milliseconds()
		if ms < 0 {
			ms = 0
		}
		if ms > int64(^uint32(0)) {
			ms = int64(^uint32(0))
		}
		e.TimeoutMs = uint32(ms)
		return true
	})
}

// Shell picks the shell for a script (exec): "sh" (default) or "bash".
func Shell(name string) Opt {
	return kindOpt("Shell", func(a *airlockv1.Action) bool {
		e := a.GetExec()
		if e == nil {
			return false
		}
		e.Shell = name
		return true
	})
}

// kindOpt wraps an option that applies to some action kinds only.
func kindOpt(name string, apply func(*airlockv1.Action) bool) Opt {
	return func(c *call) {
		if !apply(c.req.GetAction()) {
			c.fail("airlock client: option %s does not apply to a %s action", name, kindName(c.req.GetAction()))
		}
	}
}

// kindName is the proto field name of the action's kind ("read_file").
func kindName(a *airlockv1.Action) string {
	if a == nil {
		return "missing"
	}
	m := a.ProtoReflect()
	if fd := m.WhichOneof(m.Descriptor().Oneofs().ByName("kind")); fd != nil {
		return string(fd.Name())
	}
	return "empty"
}
