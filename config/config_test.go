package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/auth"
	"github.com/airlock-dev/airlock/sandbox"
)

// base is a minimal valid file; cases edit it by string replacement.
var base = `listen:
  address: 127.0.0.1:7443
policy:
  dir: policies
workspaces:
  - name: demo
    root: ws
principals:
  - id: agent-1
    kind: agent
    token_sha256: ` + auth.HashToken("agent-token") + `
  - id: alice
    kind: human
    token_sha256: ` + auth.HashToken("alice-token") + `
`

// configDir makes a directory holding policies/ and ws/, the two
// directories base refers to.
func configDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"policies", "ws"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// edit applies old→new replacements to base, failing if one does not apply.
func edit(t *testing.T, pairs ...string) string {
	t.Helper()
	s := base
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("base has no %q", pairs[i])
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return s
}

func TestParseDefaults(t *testing.T) {
	dir := configDir(t)
	c, err := Parse([]byte(edit(t, "listen:\n  address: 127.0.0.1:7443\n", "")), dir)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	cases := []struct {
		name string
		got  any
		want any
	}{
		{name: "listen.address", got: c.Listen.Address, want: "127.0.0.1:7443"},
		{name: "listen.unix_socket", got: c.Listen.UnixSocket, want: ""},
		{name: "listen.max_message_bytes", got: c.Listen.MaxMessageBytes, want: 32 << 20},
		{name: "listen.shutdown_grace", got: c.Listen.ShutdownGrace, want: 10 * time.Second},
		{name: "listen.allow_insecure_remote", got: c.Listen.AllowInsecureRemote, want: false},
		{name: "listen.tls.cert_file", got: c.Listen.TLS.CertFile, want: ""},
		{name: "listen.tls.key_file", got: c.Listen.TLS.KeyFile, want: ""},
		{name: "store.path", got: c.Store.Path, want: filepath.Join(dir, ".airlock", "airlock.db")},
		{name: "policy.dir", got: c.Policy.Dir, want: filepath.Join(dir, "policies")},
		{name: "policy.query", got: c.Policy.Query, want: "data.airlock.decision"},
		{name: "policy.timeout", got: c.Policy.Timeout, want: 250 * time.Millisecond},
		{name: "policy.approval_roles", got: c.Policy.ApprovalRoles, want: []string{"approver"}},
		{name: "policy.approvals", got: c.Policy.Approvals, want: 1},
		{name: "policy.approval_ttl", got: c.Policy.ApprovalTTL, want: time.Hour},
		{name: "limits are left zero for files.Limits defaults", got: c.Limits, want: Limits{}},
		{name: "sandbox.timeout", got: c.Sandbox.Timeout, want: sandbox.DefaultTimeout},
		{name: "sandbox.max_timeout", got: c.Sandbox.MaxTimeout, want: sandbox.DefaultMaxTimeout},
		{name: "sandbox.read_only_paths", got: c.Sandbox.ReadOnlyPaths, want: sandbox.DefaultReadOnlyPaths},
		{name: "log.level", got: c.Log.Level, want: "info"},
		{name: "log.file", got: c.Log.File, want: ""},
		{name: "workspaces[0].environment", got: c.Workspaces[0].Environment, want: "dev"},
		{name: "workspaces[0].root", got: c.Workspaces[0].Root, want: filepath.Join(dir, "ws")},
		{name: "principals", got: len(c.Principals), want: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !reflect.DeepEqual(tc.got, tc.want) {
				t.Fatalf("got %#v, want %#v", tc.got, tc.want)
			}
		})
	}
}

// A unix socket alone means no TCP listener: the default address must not
// be filled in behind the operator's back.
func TestParseUnixSocketOnly(t *testing.T) {
	dir := configDir(t)
	c, err := Parse([]byte(edit(t, "address: 127.0.0.1:7443", "unix_socket: run/airlock.sock")), dir)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if c.Listen.Address != "" {
		t.Errorf("listen.address = %q, want empty", c.Listen.Address)
	}
	if want := filepath.Join(dir, "run", "airlock.sock"); c.Listen.UnixSocket != want {
		t.Errorf("listen.unix_socket = %q, want %q", c.Listen.UnixSocket, want)
	}
}

func TestValidateNamesKey(t *testing.T) {
	dir := configDir(t)
	if err := os.WriteFile(filepath.Join(dir, "afile"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		yaml string
		// want are substrings the error must hold; nil means the file is valid.
		want []string
	}{
		{name: "address without port", yaml: edit(t, "127.0.0.1:7443", "localhost"), want: []string{"listen.address"}},
		{name: "address garbage", yaml: edit(t, "127.0.0.1:7443", `"::::"`), want: []string{"listen.address"}},
		{name: "plaintext on all interfaces", yaml: edit(t, "127.0.0.1:7443", "0.0.0.0:7443"), want: []string{"listen.address", "allow_insecure_remote"}},
		{name: "plaintext on empty host", yaml: edit(t, "127.0.0.1:7443", `":7443"`), want: []string{"listen.address"}},
		{name: "plaintext on a public address", yaml: edit(t, "127.0.0.1:7443", "203.0.113.7:7443"), want: []string{"listen.address"}},
		{name: "plaintext on a host name", yaml: edit(t, "127.0.0.1:7443", "example.com:7443"), want: []string{"listen.address"}},
		{name: "insecure remote allowed", yaml: edit(t, "127.0.0.1:7443", "0.0.0.0:7443\n  allow_insecure_remote: true")},
		{name: "remote with tls", yaml: edit(t, "127.0.0.1:7443", "0.0.0.0:7443\n  tls: {cert_file: c.pem, key_file: k.pem}")},
		{name: "ipv6 loopback", yaml: edit(t, "127.0.0.1:7443", `"[::1]:7443"`)},
		{name: "localhost", yaml: edit(t, "127.0.0.1:7443", "localhost:0")},
		{name: "tls cert without key", yaml: edit(t, "127.0.0.1:7443", "127.0.0.1:7443\n  tls: {cert_file: c.pem}"), want: []string{"listen.tls"}},
		{name: "tls key without cert", yaml: edit(t, "127.0.0.1:7443", "127.0.0.1:7443\n  tls: {key_file: k.pem}"), want: []string{"listen.tls"}},
		{name: "tiny max message", yaml: edit(t, "127.0.0.1:7443", "127.0.0.1:7443\n  max_message_bytes: 1024"), want: []string{"listen.max_message_bytes"}},
		{name: "missing policy.dir", yaml: edit(t, "  dir: policies\n", "  query: data.x\n"), want: []string{"policy.dir", "required"}},
		{name: "policy.dir does not exist", yaml: edit(t, "dir: policies", "dir: nope"), want: []string{"policy.dir"}},
		{name: "policy.dir is a file", yaml: edit(t, "dir: policies", "dir: afile"), want: []string{"policy.dir"}},
		{name: "timeout too long", yaml: edit(t, "dir: policies", "dir: policies\n  timeout: 11s"), want: []string{"policy.timeout"}},
		{name: "timeout negative", yaml: edit(t, "dir: policies", "dir: policies\n  timeout: -1ms"), want: []string{"policy.timeout"}},
		{name: "timeout below a millisecond", yaml: edit(t, "dir: policies", "dir: policies\n  timeout: 10us"), want: []string{"policy.timeout"}},
		{name: "timeout not a duration", yaml: edit(t, "dir: policies", "dir: policies\n  timeout: soon"), want: []string{"soon"}},
		{name: "too many approvals", yaml: edit(t, "dir: policies", "dir: policies\n  approvals: 11"), want: []string{"policy.approvals"}},
		{name: "negative approvals", yaml: edit(t, "dir: policies", "dir: policies\n  approvals: -1"), want: []string{"policy.approvals"}},
		{name: "approval ttl too short", yaml: edit(t, "dir: policies", "dir: policies\n  approval_ttl: 30s"), want: []string{"policy.approval_ttl"}},
		{name: "bad log level", yaml: base + "log: {level: verbose}\n", want: []string{"log.level"}},
		{name: "negative limit", yaml: base + "limits: {max_diff_bytes: -1}\n", want: []string{"limits.max_diff_bytes"}},
		{name: "no workspaces", yaml: edit(t, "workspaces:\n  - name: demo\n    root: ws\n", ""), want: []string{"workspaces"}},
		{name: "workspace name with a space", yaml: edit(t, "name: demo", `name: "de mo"`), want: []string{"workspaces[0].name"}},
		{name: "workspace name with a slash", yaml: edit(t, "name: demo", "name: a/b"), want: []string{"workspaces[0].name"}},
		{name: "workspace name dot-dot", yaml: edit(t, "name: demo", `name: ".."`), want: []string{"workspaces[0].name"}},
		{name: "workspace name empty", yaml: edit(t, "name: demo", `name: ""`), want: []string{"workspaces[0].name"}},
		{name: "workspace name too long", yaml: edit(t, "name: demo", "name: "+strings.Repeat("a", 65)), want: []string{"workspaces[0].name"}},
		{name: "duplicate workspace", yaml: edit(t, "    root: ws\n", "    root: ws\n  - name: demo\n    root: ws\n"), want: []string{"workspaces[1].name", "not unique"}},
		{name: "missing root", yaml: edit(t, "    root: ws\n", ""), want: []string{"workspaces[0].root"}},
		{name: "root does not exist", yaml: edit(t, "root: ws", "root: nope"), want: []string{"workspaces[0].root"}},
		{name: "root is a file", yaml: edit(t, "root: ws", "root: afile"), want: []string{"workspaces[0].root"}},
		{name: "bad environment", yaml: edit(t, "root: ws", "root: ws\n    environment: production"), want: []string{"workspaces[0].environment"}},
		{name: "environment case matters", yaml: edit(t, "root: ws", "root: ws\n    environment: Prod"), want: []string{"workspaces[0].environment"}},
		{name: "no principals", yaml: base[:strings.Index(base, "principals:")], want: []string{"principals"}},
		{name: "bad principal kind", yaml: edit(t, "kind: agent", "kind: robot"), want: []string{"principals[0].kind"}},
		{name: "missing principal kind", yaml: edit(t, "    kind: agent\n", ""), want: []string{"principals[0].kind"}},
		{name: "bad principal id", yaml: edit(t, "id: agent-1", `id: "agent 1"`), want: []string{"principals[0].id"}},
		{name: "token hash not hex", yaml: edit(t, auth.HashToken("agent-token"), strings.Repeat("g", 64)), want: []string{"principals[0].token_sha256"}},
		{name: "token hash too short", yaml: edit(t, auth.HashToken("agent-token"), "abcd"), want: []string{"principals[0].token_sha256"}},
		{name: "duplicate token hash", yaml: edit(t, auth.HashToken("alice-token"), auth.HashToken("agent-token")), want: []string{"principals[1].token_sha256"}},
		{name: "duplicate principal id", yaml: edit(t, "id: alice", "id: agent-1"), want: []string{"principals[1].id", "not unique"}},
		{name: "unknown top-level key", yaml: base + "listn: {}\n", want: []string{"listn"}},
		{name: "unknown nested key", yaml: edit(t, "address: 127.0.0.1:7443", "adress: 127.0.0.1:7443"), want: []string{"adress"}},
		{name: "unknown workspace key", yaml: edit(t, "root: ws", "root: ws\n    rot: ws"), want: []string{"rot"}},
		{name: "unknown principal key", yaml: edit(t, "kind: human", "kind: human\n    token: alice-token"), want: []string{"token"}},
		{name: "duplicate top-level key", yaml: base + "policy: {dir: ws}\n", want: []string{"policy"}},
		{name: "sandbox negative timeout", yaml: base + "sandbox: {timeout: -1s}\n", want: []string{"sandbox", "timeout"}},
		{name: "sandbox max below timeout", yaml: base + "sandbox: {timeout: 2m, max_timeout: 1m}\n", want: []string{"sandbox", "max_timeout"}},
		{name: "sandbox unknown layer", yaml: base + "sandbox: {required: [landlock-v99]}\n", want: []string{"sandbox", "required"}},
		{name: "sandbox read-only path escapes", yaml: base + "sandbox: {read_only_paths: [../x]}\n", want: []string{"sandbox", "read_only_paths"}},
		{name: "sandbox relative readable path", yaml: base + "sandbox: {readable_paths: [usr]}\n", want: []string{"sandbox", "readable_paths"}},
		{name: "sandbox unknown key", yaml: base + "sandbox: {seccomp: false}\n", want: []string{"seccomp"}},
		{name: "not yaml", yaml: "listen: [", want: []string{"config"}},
		{name: "empty file", yaml: "", want: []string{"policy.dir"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.yaml), dir)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse = %+v, nil; want an error naming %q", c, tc.want)
			}
			if c != nil {
				t.Errorf("Parse returned a config with error %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestParseExpandsEnvironment(t *testing.T) {
	dir := configDir(t)
	t.Setenv("AIRLOCK_T_ADDR", "127.0.0.1:9000")
	t.Setenv("AIRLOCK_T_POLICY", "policies")
	t.Setenv("AIRLOCK_T_ROLE", "reviewer")
	t.Setenv("AIRLOCK_T_TEAM", "shop")
	t.Setenv("AIRLOCK_T_MAX", "1048576")
	t.Setenv("AIRLOCK_T_TRUE", "true")
	t.Setenv("AIRLOCK_T_TIMEOUT", "1s")
	t.Setenv("AIRLOCK_T_NESTED", "${AIRLOCK_T_TEAM}")
	t.Setenv("AIRLOCK_T_YAML", "x\nextra: y\n- z")
	t.Setenv("AIRLOCK_T_EMPTY", "")
	t.Setenv("AIRLOCK_T_DATE", "2024-01-02")
	// Unquoted, an expanded value types as if it had been written in the
	// file, so the YAML null word becomes empty; quote it to keep it.
	t.Setenv("AIRLOCK_T_NULL", "null")
	t.Setenv("AIRLOCK_T_HASH", auth.HashToken("env-token"))
	yaml := edit(t,
		"address: 127.0.0.1:7443", "address: ${AIRLOCK_T_ADDR}\n  max_message_bytes: ${AIRLOCK_T_MAX}",
		"dir: policies", "dir: ${AIRLOCK_T_POLICY}\n  timeout: ${AIRLOCK_T_TIMEOUT}\n  approval_roles:\n    - ${AIRLOCK_T_ROLE}\n    - \"${AIRLOCK_T_MAX}\"",
		"root: ws", "root: ws\n    labels:\n      team: team-${AIRLOCK_T_TEAM}\n      nested: ${AIRLOCK_T_NESTED}\n      yaml: ${AIRLOCK_T_YAML}\n      empty: \"${AIRLOCK_T_EMPTY}\"\n      dollar: $AIRLOCK_T_TEAM\n      quoted: \"${AIRLOCK_T_TRUE}\"\n      num: ${AIRLOCK_T_MAX}\n      date: ${AIRLOCK_T_DATE}\n      nullword: ${AIRLOCK_T_NULL}",
		auth.HashToken("agent-token"), "${AIRLOCK_T_HASH}",
	) + "sandbox:\n  disable_seccomp: ${AIRLOCK_T_TRUE}\n"
	c, err := Parse([]byte(yaml), dir)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	labels := c.Workspaces[0].Labels
	cases := []struct {
		name string
		got  any
		want any
	}{
		{name: "whole value", got: c.Listen.Address, want: "127.0.0.1:9000"},
		{name: "path value is still resolved", got: c.Policy.Dir, want: filepath.Join(dir, "policies")},
		{name: "integer field", got: c.Listen.MaxMessageBytes, want: 1 << 20},
		{name: "boolean field", got: c.Sandbox.DisableSeccomp, want: true},
		{name: "duration field", got: c.Policy.Timeout, want: time.Second},
		{name: "sequence items", got: c.Policy.ApprovalRoles, want: []string{"reviewer", "1048576"}},
		{name: "inside a value", got: labels["team"], want: "team-shop"},
		{name: "not expanded twice", got: labels["nested"], want: "${AIRLOCK_T_TEAM}"},
		{name: "yaml in a variable stays one string", got: labels["yaml"], want: "x\nextra: y\n- z"},
		{name: "no keys injected", got: len(labels), want: 9},
		{name: "number into a string field", got: labels["num"], want: "1048576"},
		{name: "date into a string field", got: labels["date"], want: "2024-01-02"},
		{name: "yaml null word into a string field", got: labels["nullword"], want: ""},
		{name: "set but empty", got: labels["empty"], want: ""},
		{name: "bare $VAR is literal", got: labels["dollar"], want: "$AIRLOCK_T_TEAM"},
		{name: "quoted stays a string", got: labels["quoted"], want: "true"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !reflect.DeepEqual(tc.got, tc.want) {
				t.Fatalf("got %#v, want %#v", tc.got, tc.want)
			}
		})
	}
	t.Run("token hash from the environment", func(t *testing.T) {
		tokens, err := c.Tokens()
		if err != nil {
			t.Fatal(err)
		}
		p, err := tokens.Authenticate("env-token")
		if err != nil || p.ID != "agent-1" {
			t.Fatalf("Authenticate(env-token) = %v, %v; want agent-1", p, err)
		}
	})
}

func TestParseEnvironmentErrors(t *testing.T) {
	dir := configDir(t)
	t.Setenv("AIRLOCK_T_SET", "127.0.0.1:7443")
	cases := []struct {
		name string
		yaml string
		want []string // substrings of the error; nil means no error
	}{
		{name: "unset variable", yaml: edit(t, "127.0.0.1:7443", "${AIRLOCK_T_UNSET_1}"), want: []string{"AIRLOCK_T_UNSET_1"}},
		{name: "every unset variable is named", yaml: edit(t, "127.0.0.1:7443", "${AIRLOCK_T_UNSET_1}", "root: ws", "root: ${AIRLOCK_T_UNSET_2}"),
			want: []string{"AIRLOCK_T_UNSET_1", "AIRLOCK_T_UNSET_2"}},
		{name: "unset variable inside a label", yaml: edit(t, "root: ws", "root: ws\n    labels:\n      team: x-${AIRLOCK_T_UNSET_3}"), want: []string{"AIRLOCK_T_UNSET_3"}},
		{name: "line comment is not expanded", yaml: edit(t, "127.0.0.1:7443", "${AIRLOCK_T_SET} # was ${AIRLOCK_T_UNSET_4}")},
		{name: "head comment is not expanded", yaml: "# set ${AIRLOCK_T_UNSET_5} first\n" + base},
		{name: "foot comment is not expanded", yaml: base + "# ${AIRLOCK_T_UNSET_6}\n"},
		{name: "nested comment is not expanded", yaml: edit(t, "    root: ws\n", "    # root: ${AIRLOCK_T_UNSET_7}\n    root: ws\n")},
		{name: "a key is not expanded", yaml: edit(t, "root: ws", "root: ws\n    labels: {\"${AIRLOCK_T_UNSET_8}\": x}")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.yaml), dir)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if c.Listen.Address != "127.0.0.1:7443" {
					t.Fatalf("listen.address = %q", c.Listen.Address)
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse succeeded; want an error naming %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %s", err, w)
				}
			}
		})
	}
}

func TestParseKeepsKeysLiteral(t *testing.T) {
	dir := configDir(t)
	t.Setenv("AIRLOCK_T_KEY", "team")
	c, err := Parse([]byte(edit(t, "root: ws", "root: ws\n    labels: {\"${AIRLOCK_T_KEY}\": shop}")), dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"${AIRLOCK_T_KEY}": "shop"}
	if !reflect.DeepEqual(c.Workspaces[0].Labels, want) {
		t.Fatalf("labels = %v, want %v", c.Workspaces[0].Labels, want)
	}
}

func TestLoadResolvesRelativePaths(t *testing.T) {
	dir := configDir(t)
	abs := t.TempDir()
	yaml := edit(t,
		"address: 127.0.0.1:7443", "address: 127.0.0.1:7443\n  unix_socket: run/a.sock\n  tls: {cert_file: tls/c.pem, key_file: "+filepath.Join(abs, "k.pem")+"}",
		"policy:", "store: {path: state/a.db}\nlog: {file: logs/a.jsonl}\npolicy:",
		"    root: ws\n", "    root: ws\n  - name: abs\n    root: "+abs+"\n  - name: dotted\n    root: ./ws/../ws\n",
	)
	path := filepath.Join(dir, "airlock.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	// Load from another working directory, by a relative name, so that a
	// path resolved against the working directory would be wrong.
	t.Chdir(filepath.Dir(dir))
	c, err := Load(filepath.Join(filepath.Base(dir), "airlock.yaml"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	cases := []struct {
		name, got, want string
	}{
		{name: "store.path", got: c.Store.Path, want: filepath.Join(dir, "state", "a.db")},
		{name: "policy.dir", got: c.Policy.Dir, want: filepath.Join(dir, "policies")},
		{name: "log.file", got: c.Log.File, want: filepath.Join(dir, "logs", "a.jsonl")},
		{name: "listen.unix_socket", got: c.Listen.UnixSocket, want: filepath.Join(dir, "run", "a.sock")},
		{name: "listen.tls.cert_file", got: c.Listen.TLS.CertFile, want: filepath.Join(dir, "tls", "c.pem")},
		{name: "absolute listen.tls.key_file unchanged", got: c.Listen.TLS.KeyFile, want: filepath.Join(abs, "k.pem")},
		{name: "workspaces[0].root", got: c.Workspaces[0].Root, want: filepath.Join(dir, "ws")},
		{name: "absolute workspaces[1].root unchanged", got: c.Workspaces[1].Root, want: abs},
		{name: "workspaces[2].root cleaned", got: c.Workspaces[2].Root, want: filepath.Join(dir, "ws")},
		{name: "Abs of a later relative path", got: c.Abs("x/y"), want: filepath.Join(dir, "x", "y")},
		{name: "Abs of empty stays empty", got: c.Abs(""), want: ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Fatalf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !strings.HasPrefix(err.Error(), "config:") {
		t.Fatalf("Load(missing) = %v; want a config: error", err)
	}
}

func TestLoadExample(t *testing.T) {
	path, err := filepath.Abs(filepath.Join("..", "examples", "airlock.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	examples := filepath.Dir(path)
	c, err := Load(path)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	if want := filepath.Join(examples, "policies"); c.Policy.Dir != want {
		t.Errorf("policy.dir = %q, want %q", c.Policy.Dir, want)
	}
	if want := filepath.Join(examples, "state", "airlock.db"); c.Store.Path != want {
		t.Errorf("store.path = %q, want %q", c.Store.Path, want)
	}
	var names []string
	for _, w := range c.Workspaces {
		names = append(names, w.Name+"="+w.Environment)
		if want := filepath.Join(examples, "workspace"); w.Root != want {
			t.Errorf("workspace %s root = %q, want %q", w.Name, w.Root, want)
		}
	}
	if want := []string{"demo=dev", "demo-prod=prod"}; !reflect.DeepEqual(names, want) {
		t.Errorf("workspaces = %v, want %v", names, want)
	}
	tokens, err := c.Tokens()
	if err != nil {
		t.Fatal(err)
	}
	for token, id := range map[string]string{"demo-agent-token": "demo-agent", "demo-alice-token": "alice", "demo-bob-token": "bob"} {
		p, err := tokens.Authenticate(token)
		if err != nil || p.ID != id {
			t.Errorf("Authenticate(%s) = %v, %v; want %s", token, p, err, id)
		}
	}
}
