package policy

import (
	"strings"
	"testing"
	"time"
)

func TestConfDefaults(t *testing.T) {
	c := Conf{Dir: "p"}
	c.SetDefaults()
	if c.Query != "data.airlock.decision" || c.Timeout != 250*time.Millisecond ||
		len(c.DefaultApproval.Roles) != 1 || c.DefaultApproval.Roles[0] != "approver" ||
		c.DefaultApproval.Approvals != 1 || c.DefaultApproval.TTL != time.Hour {
		t.Fatalf("defaults: %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
}

func TestConfValidateNamesKey(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Conf)
		key  string
	}{
		{name: "missing dir", edit: func(c *Conf) { c.Dir = " " }, key: "policy.dir"},
		{name: "query outside data", edit: func(c *Conf) { c.Query = "input.x" }, key: "policy.query"},
		{name: "query not a reference", edit: func(c *Conf) { c.Query = "data.x[" }, key: "policy.query"},
		{name: "negative timeout", edit: func(c *Conf) { c.Timeout = -time.Second }, key: "policy.timeout"},
		{name: "huge timeout", edit: func(c *Conf) { c.Timeout = time.Hour }, key: "policy.timeout"},
		{name: "empty role", edit: func(c *Conf) { c.DefaultApproval.Roles = []string{""} }, key: "policy.default_approval.roles"},
		{name: "too many approvals", edit: func(c *Conf) { c.DefaultApproval.Approvals = 11 }, key: "policy.default_approval.approvals"},
		{name: "negative approvals", edit: func(c *Conf) { c.DefaultApproval.Approvals = -1 }, key: "policy.default_approval.approvals"},
		{name: "short ttl", edit: func(c *Conf) { c.DefaultApproval.TTL = 30 * time.Second }, key: "policy.default_approval.ttl"},
		{name: "long ttl", edit: func(c *Conf) { c.DefaultApproval.TTL = 8 * 24 * time.Hour }, key: "policy.default_approval.ttl"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := Conf{Dir: "p"}
			c.SetDefaults()
			tc.edit(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.key+":") {
				t.Fatalf("Validate() = %v, want an error naming %s", err, tc.key)
			}
		})
	}
}
