package policy

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Defaults for Conf. The query names the document every Airlock policy
// produces; the timeout bounds what a single action may cost in policy time,
// since decisions sit on every agent action.
const (
	DefaultQuery     = "data.airlock.decision"
	DefaultTimeout   = 250 * time.Millisecond
	DefaultApprovals = 1
	DefaultTTL       = time.Hour
	// DefaultPollInterval is how often a bundle is fetched again; with
	// ETags an unchanged bundle costs one small request.
	DefaultPollInterval = time.Minute
	// DefaultRescan is the watcher's safety re-scan: file events can be lost
	// (an overflowing inotify queue, a network file system), a rescan
	// compares revisions and is cheap when nothing changed.
	DefaultRescan = 30 * time.Second
	// DefaultTestTimeout bounds a revision's own rego tests.
	DefaultTestTimeout = time.Minute
)

// Limits a policy's approval must stay within: fewer than one approval would
// let an escalation pass unreviewed, and an approval living for weeks outlives
// the state it was judged against.
const (
	MinApprovals  = 1
	MaxApprovals  = 10
	MinTTLSeconds = 60
	MaxTTLSeconds = 7 * 24 * 3600
)

// Conf configures an Engine. Keys are given as they appear under `policy:` in
// the YAML configuration, so that Validate can name the bad one.
type Conf struct {
	// Dir holds the rego modules and data.json/data.yaml files. Exactly one
	// of Dir and Bundle is set.
	Dir string `yaml:"dir" json:"dir"`
	// Bundle is an OPA bundle (.tar.gz) from a file or an HTTP(S) URL.
	Bundle *BundleConf `yaml:"bundle" json:"bundle"`
	// Watch reloads Dir on file changes (Run); bundles are always polled by
	// Run.
	Watch bool `yaml:"watch" json:"watch"`
	// Rescan is the interval of Run's safety re-scan of a watched Dir.
	Rescan time.Duration `yaml:"rescan" json:"rescan"`
	// TestTimeout bounds the rego tests a revision must pass to go live.
	TestTimeout time.Duration `yaml:"test_timeout" json:"test_timeout"`
	// Query is the decision document to evaluate.
	Query string `yaml:"query" json:"query"`
	// Timeout bounds one evaluation; an evaluation that runs longer denies.
	Timeout time.Duration `yaml:"timeout" json:"timeout"`
	// DefaultApproval fills what an escalating policy leaves out.
	DefaultApproval ApprovalDefaults `yaml:"default_approval" json:"default_approval"`
}

// ApprovalDefaults is the approval an escalation needs when the policy does
// not say.
type ApprovalDefaults struct {
	Roles     []string      `yaml:"roles" json:"roles"`
	Approvals int           `yaml:"approvals" json:"approvals"`
	TTL       time.Duration `yaml:"ttl" json:"ttl"`
}

// SetDefaults fills every zero field with its default.
func (c *Conf) SetDefaults() {
	if c.Query == "" {
		c.Query = DefaultQuery
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Rescan == 0 {
		c.Rescan = DefaultRescan
	}
	if c.TestTimeout == 0 {
		c.TestTimeout = DefaultTestTimeout
	}
	if c.Bundle != nil && c.Bundle.PollInterval == 0 {
		c.Bundle.PollInterval = DefaultPollInterval
	}
	if len(c.DefaultApproval.Roles) == 0 {
		c.DefaultApproval.Roles = []string{"approver"}
	}
	if c.DefaultApproval.Approvals == 0 {
		c.DefaultApproval.Approvals = DefaultApprovals
	}
	if c.DefaultApproval.TTL == 0 {
		c.DefaultApproval.TTL = DefaultTTL
	}
}

// Validate reports every bad key, named as in the YAML configuration.
func (c *Conf) Validate() error {
	var errs []error
	switch {
	case c.Bundle != nil && strings.TrimSpace(c.Dir) != "":
		errs = append(errs, errors.New("policy.dir: set either policy.dir or policy.bundle, not both"))
	case c.Bundle != nil:
		errs = append(errs, c.Bundle.validate()...)
	case strings.TrimSpace(c.Dir) == "":
		errs = append(errs, errors.New("policy.dir: required (or policy.bundle)"))
	}
	if c.Watch && c.Bundle != nil {
		errs = append(errs, errors.New("policy.watch: applies to policy.dir; a bundle is polled every policy.bundle.poll_interval"))
	}
	if c.Rescan < time.Second {
		errs = append(errs, fmt.Errorf("policy.rescan: %s must be at least 1s", c.Rescan))
	}
	if c.TestTimeout <= 0 || c.TestTimeout > 10*time.Minute {
		errs = append(errs, fmt.Errorf("policy.test_timeout: %s must be in (0, 10m]", c.TestTimeout))
	}
	if r, err := ast.ParseRef(c.Query); err != nil || !r.HasPrefix(ast.DefaultRootRef) || len(r) < 2 {
		errs = append(errs, fmt.Errorf("policy.query: %q must be a reference under data", c.Query))
	}
	if c.Timeout <= 0 || c.Timeout > time.Minute {
		errs = append(errs, fmt.Errorf("policy.timeout: %s must be in (0, 1m]", c.Timeout))
	}
	a := c.DefaultApproval
	if len(a.Roles) == 0 {
		errs = append(errs, errors.New("policy.default_approval.roles: at least one role required"))
	}
	for _, r := range a.Roles {
		if strings.TrimSpace(r) == "" {
			errs = append(errs, errors.New("policy.default_approval.roles: empty role"))
			break
		}
	}
	if a.Approvals < MinApprovals || a.Approvals > MaxApprovals {
		errs = append(errs, fmt.Errorf("policy.default_approval.approvals: %d must be in [%d, %d]", a.Approvals, MinApprovals, MaxApprovals))
	}
	if s := a.TTL / time.Second; s < MinTTLSeconds || s > MaxTTLSeconds || a.TTL%time.Second != 0 {
		errs = append(errs, fmt.Errorf("policy.default_approval.ttl: %s must be whole seconds in [1m, 168h]", a.TTL))
	}
	return errors.Join(errs...)
}

// BundleConf names an OPA bundle. Exactly one of URL and File is set.
type BundleConf struct {
	// URL is fetched with GET, sending If-None-Match with the last ETag.
	URL string `yaml:"url" json:"url"`
	// File is a bundle on disk (e.g. written by `opa build`).
	File string `yaml:"file" json:"file"`
	// PollInterval is how often Run fetches the bundle again.
	PollInterval time.Duration `yaml:"poll_interval" json:"poll_interval"`
	// Signing, when set, requires the bundle to carry a valid signature
	// (.signatures.json, as `opa sign` writes it); unsigned or tampered
	// bundles are refused.
	Signing *SigningConf `yaml:"signing" json:"signing"`
}

// SigningConf is how a signed bundle is verified, as OPA's own
// bundle verification configures it.
type SigningConf struct {
	// PublicKeyFile holds the PEM public key (or the HMAC secret for HS*).
	PublicKeyFile string `yaml:"public_key_file" json:"public_key_file"`
	// KeyID names the key; it must match the signature's kid, when the
	// signature names one (default "default").
	KeyID string `yaml:"key_id" json:"key_id"`
	// Algorithm is the JWS algorithm (default RS256).
	Algorithm string `yaml:"algorithm" json:"algorithm"`
	// Scope, when set, must equal the signature's scope claim.
	Scope string `yaml:"scope" json:"scope"`
}

func (b *BundleConf) validate() []error {
	var errs []error
	url, file := strings.TrimSpace(b.URL), strings.TrimSpace(b.File)
	switch {
	case url != "" && file != "":
		errs = append(errs, errors.New("policy.bundle: set either url or file, not both"))
	case url == "" && file == "":
		errs = append(errs, errors.New("policy.bundle: url or file required"))
	case url != "" && !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://"):
		errs = append(errs, fmt.Errorf("policy.bundle.url: %q must be http:// or https://", url))
	}
	if b.PollInterval < time.Second {
		errs = append(errs, fmt.Errorf("policy.bundle.poll_interval: %s must be at least 1s", b.PollInterval))
	}
	if s := b.Signing; s != nil && strings.TrimSpace(s.PublicKeyFile) == "" {
		errs = append(errs, errors.New("policy.bundle.signing.public_key_file: required"))
	}
	return errs
}
