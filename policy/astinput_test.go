package policy

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/util"
)

// TestToValueMatchesJSON holds the direct converter to what a policy would
// see if the input went through JSON, which is what `opa eval -i` and the
// rego tests use.
func TestToValueMatchesJSON(t *testing.T) {
	rich := fileInput("move_file", "prod", "src/a b/\"quoted\".go", "tests/ünïcødé\u2028.go")
	rich.Action = Action{
		Kind: "move_file", Path: "src/a", ToPath: "tests/b", Offset: -1, Limit: math.MaxInt64,
		Mode: math.MaxUint32, CreateOnly: true, ReplaceAll: true, Overwrite: true, Recursive: true,
		ExpectedSHA256: "ff", ContentBytes: 1 << 40, Argv: []string{"a", ""}, Script: "echo $HOME; rm -rf /",
		Shell: "bash", Cwd: "src", Env: map[string]string{"A": "1", "": "empty key", "Z\x00": "nul"},
		TimeoutMS: 42,
	}
	rich.Plan.Paths[0].Diff = "@@ -1 +1 @@\n-a\n+b\n"
	rich.Plan.Paths[0].DiffTruncated = true
	rich.Plan.Paths[1].Binary, rich.Plan.Paths[1].IsDir = true, true
	rich.Request.Labels = map[string]string{"ticket": "OPS-1"}

	withCmd := execInput("dev", []string{"grep", "-rn", "x"}, []string{"wc", "-l"})
	withCmd.Plan.Command.Commands[0].WrappedBy = []string{"env", "timeout"}
	withCmd.Plan.Command.Commands[1].Redirects = []Redirect{{Op: ">", Target: "/tmp/x", Path: "/tmp/x", Outside: true, Write: true}}
	withCmd.Plan.Command.RedirectWrites = []string{"/tmp/x"}
	withCmd.Plan.Command.Outside, withCmd.Plan.Command.Dynamic = true, true

	emptySlices := fileInput("read_file", "dev", "x")
	emptySlices.Principal.Roles = []string{}
	emptySlices.Workspace.Labels = map[string]string{}
	emptySlices.Plan.Command = &Command{}

	cases := []struct {
		name string
		in   *Input
	}{
		{name: "zero", in: &Input{}},
		{name: "rich file move", in: rich},
		{name: "exec with redirects", in: withCmd},
		{name: "empty but non-nil slices and maps", in: emptySlices},
		{name: "invalid utf8", in: &Input{Action: Action{Kind: "read_file", Path: "\xff\xfe"}}},
		{name: "negative counts", in: &Input{Version: -1, Session: Session{Actions: math.MinInt64}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bs, err := json.Marshal(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			var doc any
			if err := util.NewJSONDecoder(bytes.NewReader(bs)).Decode(&doc); err != nil {
				t.Fatal(err)
			}
			want, err := ast.InterfaceToValue(doc)
			if err != nil {
				t.Fatal(err)
			}
			got := tc.in.ToValue()
			if got.Compare(want) != 0 {
				t.Fatalf("ToValue differs from the JSON round trip\n got: %v\nwant: %v", got, want)
			}
		})
	}
}

func TestToValueNil(t *testing.T) {
	var in *Input
	if _, ok := in.ToValue().(ast.Null); !ok {
		t.Fatalf("nil input should convert to null, got %v", in.ToValue())
	}
}

func BenchmarkToValue(b *testing.B) {
	in := fileInput("write_file", "prod", "src/cart/cart.go")
	b.ReportAllocs()
	for b.Loop() {
		_ = in.ToValue()
	}
}

func BenchmarkToValueJSON(b *testing.B) {
	in := fileInput("write_file", "prod", "src/cart/cart.go")
	b.ReportAllocs()
	for b.Loop() {
		bs, _ := json.Marshal(in)
		var doc any
		_ = util.UnmarshalJSON(bs, &doc)
		_, _ = ast.InterfaceToValue(doc)
	}
}

// TestKeyTermsCoverInput keeps keyTerms in step with the JSON field names, so
// that a new field does not silently fall back to allocating its key.
func TestKeyTermsCoverInput(t *testing.T) {
	in := execInput("dev", []string{"a"})
	in.Plan.Command.Commands[0].Redirects = []Redirect{{Op: ">"}}
	in.Plan.Paths = []PlannedPath{{SHA256: "x", Diff: "d", DiffTruncated: true}}
	in.Action = Action{Kind: "k", Path: "p", ToPath: "t", Offset: 1, Limit: 1, Mode: 1, CreateOnly: true,
		ReplaceAll: true, Overwrite: true, Recursive: true, ExpectedSHA256: "s", ContentBytes: 1,
		Argv: []string{"a"}, Script: "s", Shell: "s", Cwd: "c", Env: map[string]string{"a": "b"}, TimeoutMS: 1}
	in.Principal.OnBehalfOf = "x"
	in.Workspace.Labels = nil // label keys are data, not fields
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				if _, ok := keyTerms[k]; !ok && k != "a" { // "a" is the Env map's key, data not a field
					t.Errorf("field %q missing from keyTerms", k)
				}
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	bs, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(bs, &doc); err != nil {
		t.Fatal(err)
	}
	walk(doc)
}
