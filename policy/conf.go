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
	// Dir holds the rego modules and data.json/data.yaml files.
	Dir string `yaml:"dir" json:"dir"`
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
	if strings.TrimSpace(c.Dir) == "" {
		errs = append(errs, errors.New("policy.dir: required"))
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
