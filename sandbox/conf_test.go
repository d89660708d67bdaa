package sandbox

import (
	"strings"
	"testing"
	"time"
)

func TestConfDefaultsValidate(t *testing.T) {
	var c Conf
	c.SetDefaults()
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	if c.Timeout != DefaultTimeout || len(c.ReadOnlyPaths) != 1 || c.ReadOnlyPaths[0] != ".git/hooks" {
		t.Fatalf("defaults not applied: %+v", c)
	}
}

func TestConfValidate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*Conf)
		wantKey string // empty: valid
	}{
		{name: "defaults", mutate: func(*Conf) {}},
		{name: "known required layers", mutate: func(c *Conf) { c.Required = []string{"landlock", "pidns", "cgroup"} }},
		{name: "unknown required layer", mutate: func(c *Conf) { c.Required = []string{"landlock-v99x"} }, wantKey: "required"},
		{name: "max below timeout", mutate: func(c *Conf) { c.MaxTimeout = time.Second; c.Timeout = time.Minute }, wantKey: "max_timeout"},
		{name: "negative memory", mutate: func(c *Conf) { c.MemoryBytes = -1 }, wantKey: "memory_bytes"},
		{name: "negative procs", mutate: func(c *Conf) { c.MaxProcs = -5 }, wantKey: "max_procs"},
		{name: "read-only path escapes", mutate: func(c *Conf) { c.ReadOnlyPaths = []string{"../x"} }, wantKey: "read_only_paths"},
		{name: "read-only path absolute", mutate: func(c *Conf) { c.ReadOnlyPaths = []string{"/etc"} }, wantKey: "read_only_paths"},
		{name: "readable root", mutate: func(c *Conf) { c.ReadablePaths = []string{"/"} }, wantKey: "readable_paths"},
		{name: "readable relative", mutate: func(c *Conf) { c.ReadablePaths = []string{"usr"} }, wantKey: "readable_paths"},
		{name: "readable unclean", mutate: func(c *Conf) { c.ReadablePaths = []string{"/usr/../root"} }, wantKey: "readable_paths"},
		{name: "readable NUL", mutate: func(c *Conf) { c.ReadablePaths = []string{"/usr\x00"} }, wantKey: "readable_paths"},
		{name: "cgroup parent relative", mutate: func(c *Conf) { c.CgroupParent = "airlock" }, wantKey: "cgroup_parent"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c Conf
			c.SetDefaults()
			tc.mutate(&c)
			err := c.Validate()
			if tc.wantKey == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantKey) {
				t.Fatalf("err = %v, want one naming %q", err, tc.wantKey)
			}
		})
	}
}

func TestCapture(t *testing.T) {
	tests := []struct {
		name      string
		limit     int64
		writes    []string
		want      string
		total     int64
		truncated bool
	}{
		{name: "under limit", limit: 10, writes: []string{"abc", "de"}, want: "abcde", total: 5},
		{name: "exact limit", limit: 5, writes: []string{"abcde"}, want: "abcde", total: 5},
		{name: "split across writes", limit: 4, writes: []string{"abc", "def", "gh"}, want: "abcd", total: 8, truncated: true},
		{name: "empty", limit: 4, want: "", total: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var live strings.Builder
			c := newCapture(tc.limit, &live)
			for _, w := range tc.writes {
				if n, err := c.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			got, total, trunc := c.result()
			if string(got) != tc.want || total != tc.total || trunc != tc.truncated || live.String() != tc.want {
				t.Fatalf("got %q total %d truncated %v live %q", got, total, trunc, live.String())
			}
		})
	}
}

func TestBuildEnvScrubbed(t *testing.T) {
	t.Setenv("AIRLOCK_TOKEN", "leak")
	env := buildEnv(map[string]string{"FOO": "1", "PATH": "/custom"})
	joined := strings.Join(env, "\n")
	if strings.Contains(joined, "AIRLOCK_TOKEN") || strings.Contains(joined, secretValue) {
		t.Fatalf("server env leaked: %v", env)
	}
	for _, want := range []string{"FOO=1", "PATH=/custom", "HOME=/tmp", "TMPDIR=/tmp", "LANG=C.UTF-8"} {
		if !strings.Contains(joined, want) {
			t.Fatalf("missing %q in %v", want, env)
		}
	}
}

func TestMissingLayers(t *testing.T) {
	applied := []string{"userns", "landlock-v7"}
	if m := missingLayers(applied, []string{"landlock", "userns"}); len(m) != 0 {
		t.Fatalf("missing = %v", m)
	}
	if m := missingLayers(applied, []string{"seccomp", "landlock"}); len(m) != 1 || m[0] != "seccomp" {
		t.Fatalf("missing = %v", m)
	}
	if m := missingLayers([]string{"landlockish"}, []string{"landlock"}); len(m) != 1 {
		t.Fatalf("prefix without -v accepted: %v", m)
	}
}
