package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

type conformanceCase struct {
	Note  string          `json:"note"`
	Env   string          `json:"env"`
	Kind  string          `json:"kind"`
	Paths []string        `json:"paths"`
	Exec  [][]string      `json:"exec"`
	Input json.RawMessage `json:"input"`
	Want  struct {
		Effect    Effect   `json:"effect"`
		RuleIDs   []string `json:"rule_ids"`
		Approvals int      `json:"approvals"`
		Sandbox   bool     `json:"sandbox"`
	} `json:"want"`
}

// TestConformance runs the decision matrix in testdata/decisions.json against
// the example policies, and checks that every rule id the examples can emit
// is exercised by at least one case.
func TestConformance(t *testing.T) {
	bs, err := os.ReadFile(filepath.Join("testdata", "decisions.json"))
	if err != nil {
		t.Fatal(err)
	}
	var matrix struct {
		About string            `json:"about"`
		Cases []conformanceCase `json:"cases"`
	}
	dec := json.NewDecoder(bytes.NewReader(bs))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&matrix); err != nil {
		t.Fatalf("decode matrix: %v", err)
	}
	e, err := New(context.Background(), Conf{Dir: copyExamples(t)})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, tc := range matrix.Cases {
		t.Run(tc.Note, func(t *testing.T) {
			var in *Input
			if len(tc.Exec) > 0 {
				in = execInput(tc.Env, tc.Exec...)
			} else {
				in = fileInput(tc.Kind, tc.Env, tc.Paths...)
			}
			if len(tc.Input) > 0 {
				if err := json.Unmarshal(tc.Input, in); err != nil {
					t.Fatalf("overlay input: %v", err)
				}
			}
			d := e.Decide(context.Background(), in)
			for _, id := range ruleIDs(d) {
				seen[id] = true
			}
			if d.Err != nil {
				t.Fatalf("engine error: %v", d.Err)
			}
			if d.Effect != tc.Want.Effect || !slices.Equal(ruleIDs(d), tc.Want.RuleIDs) {
				t.Fatalf("got %s %v, want %s %v", d.Effect, ruleIDs(d), tc.Want.Effect, tc.Want.RuleIDs)
			}
			if tc.Want.Approvals != 0 && (d.Approval == nil || d.Approval.Approvals != tc.Want.Approvals) {
				t.Fatalf("approval %+v, want %d approvals", d.Approval, tc.Want.Approvals)
			}
			if tc.Want.Sandbox != (d.Sandbox != nil) {
				t.Fatalf("sandbox %+v, want present=%v", d.Sandbox, tc.Want.Sandbox)
			}
		})
	}
	for _, id := range exampleRuleIDs(t) {
		if !seen[id] {
			t.Errorf("rule %s is not exercised by testdata/decisions.json", id)
		}
	}
}

var ruleIDPattern = regexp.MustCompile(`"rule_id":\s*"([^"]+)"`)

// exampleRuleIDs lists the rule ids written in the example policies.
func exampleRuleIDs(t *testing.T) []string {
	t.Helper()
	var ids []string
	err := filepath.WalkDir(examplesDir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rego") || strings.HasSuffix(p, "_test.rego") {
			return err
		}
		bs, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range ruleIDPattern.FindAllSubmatch(bs, -1) {
			if id := string(m[1]); !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) < 15 {
		t.Fatalf("found only %d rule ids in the examples", len(ids))
	}
	return ids
}
