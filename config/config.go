// Package config loads Airlock's one YAML configuration file: environment
// expansion, strict decoding (an unknown key is an error), defaults, and
// validation that names the bad key. Relative paths are resolved against the
// file's directory. It only describes; the server wires what it describes.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/airlock-dev/airlock/approval"
	"github.com/airlock-dev/airlock/auth"
	"github.com/airlock-dev/airlock/policy"
	"github.com/airlock-dev/airlock/sandbox"
)

// Config is the whole file.
type Config struct {
	Listen     Listen        `yaml:"listen"`
	Admin      Admin         `yaml:"admin"`
	Store      Store         `yaml:"store"`
	Policy     Policy        `yaml:"policy"`
	Limits     Limits        `yaml:"limits"`
	Sandbox    sandbox.Conf  `yaml:"sandbox"`
	Approvals  approval.Conf `yaml:"approvals"`
	Log        Log           `yaml:"log"`
	Workspaces []Workspace   `yaml:"workspaces"`
	// ReplicaID names this server among replicas sharing a PostgreSQL store
	// (default: the host name). It must be stable across restarts and unique
	// among replicas: at start a replica marks the actions it was running
	// when it stopped as interrupted, and only those.
	ReplicaID  string      `yaml:"replica_id"`
	Principals []Principal `yaml:"principals"`

	// dir is the directory relative paths are resolved against.
	dir string
}

// Listen configures the gRPC listeners.
type Listen struct {
	// Address is host:port for TCP; empty disables TCP.
	Address string `yaml:"address"`
	// UnixSocket is a path for a unix socket listener; empty disables it.
	UnixSocket string `yaml:"unix_socket"`
	TLS        TLS    `yaml:"tls"`
	// AllowInsecureRemote permits plaintext on a non-loopback address.
	AllowInsecureRemote bool `yaml:"allow_insecure_remote"`
	// MaxMessageBytes caps one gRPC message (default 32 MiB).
	MaxMessageBytes int `yaml:"max_message_bytes"`
	// ShutdownGrace is how long in-flight calls get on SIGTERM (default 10s).
	ShutdownGrace time.Duration `yaml:"shutdown_grace"`
}

// Admin configures the admin HTTP listener: Prometheus metrics, health and
// readiness, and optionally pprof. Keep it off the network agents reach.
type Admin struct {
	// Address is host:port; empty disables it.
	Address string `yaml:"address"`
	// Pprof serves /debug/pprof/ there.
	Pprof bool `yaml:"pprof"`
}

// TLS configures the server certificate.
type TLS struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// Store selects persistence: the embedded SQLite file, or PostgreSQL when
// postgres is set (many replicas share one database).
type Store struct {
	// Path is the SQLite database file (default .airlock/airlock.db).
	Path string `yaml:"path"`
	// Postgres is a PostgreSQL connection string
	// ("postgres://user:pass@host/db"); use ${VAR} for the password.
	Postgres string `yaml:"postgres"`
}

// Policy configures the policy engine.
type Policy struct {
	// Dir holds the .rego and data.json files.
	Dir string `yaml:"dir"`
	// Query is the decision query (default data.airlock.decision).
	Query string `yaml:"query"`
	// Timeout bounds one evaluation (default 250ms); exceeding it denies.
	Timeout time.Duration `yaml:"timeout"`
	// Bundle loads the policy from an OPA bundle (a file or an HTTP(S) URL
	// polled with ETag, optionally signed) instead of Dir.
	Bundle *policy.BundleConf `yaml:"bundle"`
	// Watch reloads Dir when its files change (debounced).
	Watch bool `yaml:"watch"`
	// Rescan is the interval of the safety re-scan of a watched Dir.
	Rescan time.Duration `yaml:"rescan"`
	// TestTimeout bounds the policy's own rego tests, which a revision must
	// pass to go live.
	TestTimeout time.Duration `yaml:"test_timeout"`
	// ShadowDir is a candidate policy evaluated beside the enforced one;
	// differences are audited, never enforced.
	ShadowDir string `yaml:"shadow_dir"`
	// ApprovalRoles, Approvals and ApprovalTTL are the defaults for
	// escalations that do not name them.
	ApprovalRoles []string      `yaml:"approval_roles"`
	Approvals     int           `yaml:"approvals"`
	ApprovalTTL   time.Duration `yaml:"approval_ttl"`
}

// Limits caps sizes.
type Limits struct {
	MaxFileBytes   int64 `yaml:"max_file_bytes"`
	MaxReadBytes   int64 `yaml:"max_read_bytes"`
	MaxListEntries int   `yaml:"max_list_entries"`
	MaxListDepth   int   `yaml:"max_list_depth"`
	MaxDiffBytes   int   `yaml:"max_diff_bytes"`
}

// Log configures the zap logger.
type Log struct {
	// Level is debug, info, warn or error (default info).
	Level string `yaml:"level"`
	// File receives JSON lines; empty means standard error.
	File string `yaml:"file"`
}

// Workspace is a directory agents act in.
type Workspace struct {
	Name        string            `yaml:"name"`
	Root        string            `yaml:"root"`
	Environment string            `yaml:"environment"`
	Labels      map[string]string `yaml:"labels"`
	// Enforcement is "enforce" (default) or "audit-only": decisions are
	// recorded but would-be denials and escalations are allowed, with a
	// warning at start and in every affected audit event. For rollout only.
	Enforcement string `yaml:"enforcement"`
}

// Principal is a caller identity.
type Principal struct {
	ID          string   `yaml:"id"`
	Kind        string   `yaml:"kind"`
	TokenSHA256 string   `yaml:"token_sha256"`
	Roles       []string `yaml:"roles"`
	OnBehalfOf  string   `yaml:"on_behalf_of"`
}

// Load reads, expands, decodes, defaults and validates the file at path.
func Load(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(raw, filepath.Dir(abs))
}

// Parse decodes raw YAML whose relative paths are relative to dir. ${VAR}
// in a value is replaced by the environment variable VAR (comments are not
// expanded); an unset variable is an error.
func Parse(raw []byte, dir string) (*Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	var missing []string
	expand(&doc, &missing)
	if len(missing) > 0 {
		return nil, fmt.Errorf("config: environment variables not set: %s", strings.Join(missing, ", "))
	}
	expanded, err := yaml.Marshal(&doc)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(expanded))
	dec.KnownFields(true)
	c := &Config{dir: dir}
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("config: %w", err)
	}
	c.SetDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expand replaces ${VAR} in every scalar value of n; mapping keys are left
// alone.
func expand(n *yaml.Node, missing *[]string) {
	if n.Kind == yaml.ScalarNode {
		v := envRef.ReplaceAllStringFunc(n.Value, func(ref string) string {
			name := envRef.FindStringSubmatch(ref)[1]
			v, ok := os.LookupEnv(name)
			if !ok {
				*missing = append(*missing, name)
			}
			return v
		})
		// A plain "${VAR}" was tagged !!str when parsed; drop that tag so the
		// expanded text types as if written in the file (a number for an
		// int field, true for a bool). Quoted or explicitly tagged values
		// stay strings.
		const fixed = yaml.TaggedStyle | yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle | yaml.LiteralStyle | yaml.FoldedStyle
		if v != n.Value && n.Style&fixed == 0 {
			n.Tag = ""
		}
		n.Value = v
	}
	for i, c := range n.Content {
		if n.Kind == yaml.MappingNode && i%2 == 0 {
			continue
		}
		expand(c, missing)
	}
}

// SetDefaults fills unset values.
func (c *Config) SetDefaults() {
	if c.Listen.Address == "" && c.Listen.UnixSocket == "" {
		c.Listen.Address = "127.0.0.1:7443"
	}
	if c.Listen.MaxMessageBytes == 0 {
		c.Listen.MaxMessageBytes = 32 << 20
	}
	if c.Listen.ShutdownGrace == 0 {
		c.Listen.ShutdownGrace = 10 * time.Second
	}
	if c.Store.Path == "" {
		c.Store.Path = ".airlock/airlock.db"
	}
	if c.Policy.Query == "" {
		c.Policy.Query = "data.airlock.decision"
	}
	if c.Policy.Timeout == 0 {
		c.Policy.Timeout = 250 * time.Millisecond
	}
	if len(c.Policy.ApprovalRoles) == 0 {
		c.Policy.ApprovalRoles = []string{"approver"}
	}
	if c.Policy.Approvals == 0 {
		c.Policy.Approvals = 1
	}
	if c.Policy.ApprovalTTL == 0 {
		c.Policy.ApprovalTTL = time.Hour
	}
	c.Sandbox.SetDefaults()
	c.Approvals.SetDefaults()
	if c.ReplicaID == "" {
		c.ReplicaID, _ = os.Hostname()
		if c.ReplicaID == "" {
			c.ReplicaID = "airlock"
		}
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	for i := range c.Workspaces {
		if c.Workspaces[i].Environment == "" {
			c.Workspaces[i].Environment = "dev"
		}
	}
	c.Store.Path = c.Abs(c.Store.Path)
	c.Policy.Dir = c.Abs(c.Policy.Dir)
	c.Policy.ShadowDir = c.Abs(c.Policy.ShadowDir)
	if b := c.Policy.Bundle; b != nil {
		b.File = c.Abs(b.File)
		if b.Signing != nil {
			b.Signing.PublicKeyFile = c.Abs(b.Signing.PublicKeyFile)
		}
	}
	if c.Log.File != "" {
		c.Log.File = c.Abs(c.Log.File)
	}
	if c.Listen.UnixSocket != "" {
		c.Listen.UnixSocket = c.Abs(c.Listen.UnixSocket)
	}
	c.Listen.TLS.CertFile = c.Abs(c.Listen.TLS.CertFile)
	c.Listen.TLS.KeyFile = c.Abs(c.Listen.TLS.KeyFile)
	for i := range c.Workspaces {
		c.Workspaces[i].Root = c.Abs(c.Workspaces[i].Root)
	}
}

// Abs resolves p against the config file's directory ("" stays "").
func (c *Config) Abs(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.dir, p)
}

var (
	nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	envs   = map[string]bool{"dev": true, "test": true, "staging": true, "prod": true}
)

// Validate checks every key and names the first bad one.
func (c *Config) Validate() error {
	bad := func(key, format string, a ...any) error {
		return fmt.Errorf("config: %s: %s", key, fmt.Sprintf(format, a...))
	}
	if c.Listen.Address != "" {
		host, _, err := net.SplitHostPort(c.Listen.Address)
		if err != nil {
			return bad("listen.address", "%v", err)
		}
		tls := c.Listen.TLS.CertFile != ""
		if !tls && !isLoopback(host) && !c.Listen.AllowInsecureRemote {
			return bad("listen.address", "%q is not a loopback address; configure listen.tls or set listen.allow_insecure_remote: true", c.Listen.Address)
		}
	}
	if (c.Listen.TLS.CertFile == "") != (c.Listen.TLS.KeyFile == "") {
		return bad("listen.tls", "cert_file and key_file go together")
	}
	if c.Listen.MaxMessageBytes < 1<<16 || c.Listen.MaxMessageBytes > 1<<30 {
		return bad("listen.max_message_bytes", "must be between 64 KiB and 1 GiB")
	}
	if c.Store.Postgres != "" && !strings.HasPrefix(c.Store.Postgres, "postgres://") && !strings.HasPrefix(c.Store.Postgres, "postgresql://") {
		return bad("store.postgres", "must be a postgres:// URL")
	}
	if (c.Policy.Dir == "") == (c.Policy.Bundle == nil) {
		return bad("policy.dir", "required: set exactly one of policy.dir and policy.bundle")
	}
	if c.Policy.Dir != "" {
		if st, err := os.Stat(c.Policy.Dir); err != nil || !st.IsDir() {
			return bad("policy.dir", "%q is not a directory", c.Policy.Dir)
		}
	}
	if c.Policy.Timeout < time.Millisecond || c.Policy.Timeout > 10*time.Second {
		return bad("policy.timeout", "must be between 1ms and 10s")
	}
	if c.Policy.Approvals < 1 || c.Policy.Approvals > 10 {
		return bad("policy.approvals", "must be between 1 and 10")
	}
	if c.Policy.ApprovalTTL < time.Minute || c.Policy.ApprovalTTL > 7*24*time.Hour {
		return bad("policy.approval_ttl", "must be between 1m and 168h")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return bad("log.level", "%q is not debug, info, warn or error", c.Log.Level)
	}
	for _, v := range []struct {
		key string
		n   int64
	}{
		{"limits.max_file_bytes", c.Limits.MaxFileBytes},
		{"limits.max_read_bytes", c.Limits.MaxReadBytes},
		{"limits.max_list_entries", int64(c.Limits.MaxListEntries)},
		{"limits.max_list_depth", int64(c.Limits.MaxListDepth)},
		{"limits.max_diff_bytes", int64(c.Limits.MaxDiffBytes)},
	} {
		if v.n < 0 {
			return bad(v.key, "must not be negative")
		}
	}
	if err := c.Approvals.Validate(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if err := c.Sandbox.Validate(); err != nil {
		return fmt.Errorf("config: sandbox: %w", err)
	}
	if len(c.Workspaces) == 0 {
		return bad("workspaces", "at least one workspace is required")
	}
	seen := map[string]bool{}
	for i, w := range c.Workspaces {
		key := fmt.Sprintf("workspaces[%d]", i)
		if !nameRE.MatchString(w.Name) {
			return bad(key+".name", "%q: use letters, digits, '_', '.', '-' (max 64)", w.Name)
		}
		if seen[w.Name] {
			return bad(key+".name", "%q is not unique", w.Name)
		}
		seen[w.Name] = true
		if st, err := os.Stat(w.Root); err != nil || !st.IsDir() {
			return bad(key+".root", "%q is not a directory", w.Root)
		}
		if !envs[w.Environment] {
			return bad(key+".environment", "%q is not dev, test, staging or prod", w.Environment)
		}
		if w.Enforcement != "" && w.Enforcement != "enforce" && w.Enforcement != "audit-only" {
			return bad(key+".enforcement", "%q is not enforce or audit-only", w.Enforcement)
		}
	}
	if len(c.Principals) == 0 {
		return bad("principals", "at least one principal is required")
	}
	for i, p := range c.Principals {
		key := fmt.Sprintf("principals[%d]", i)
		if !nameRE.MatchString(p.ID) {
			return bad(key+".id", "%q: use letters, digits, '_', '.', '-' (max 64)", p.ID)
		}
		if p.Kind != auth.KindAgent && p.Kind != auth.KindHuman {
			return bad(key+".kind", "%q is not agent or human", p.Kind)
		}
	}
	if _, err := c.Tokens(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

// Tokens builds the token table from the principals.
func (c *Config) Tokens() (*auth.Tokens, error) {
	entries := make([]auth.Entry, len(c.Principals))
	for i, p := range c.Principals {
		entries[i] = auth.Entry{
			Principal:   auth.Principal{ID: p.ID, Kind: p.Kind, Roles: p.Roles, OnBehalfOf: p.OnBehalfOf},
			TokenSHA256: p.TokenSHA256,
		}
	}
	return auth.NewTokens(entries)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
