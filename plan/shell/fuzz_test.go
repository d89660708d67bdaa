package shell

import (
	"slices"
	"strings"
	"testing"

	"mvdan.cc/sh/v3/syntax"
)

// FuzzParseScript: the planner never panics, and never lists fewer commands
// than the parser sees simple commands (CallExprs with words) in the script,
// so nothing that could run is dropped.
func FuzzParseScript(f *testing.F) {
	for _, tc := range scriptCases {
		if len(tc.script) < 4096 { // giant seeds make minimisation crawl
			f.Add(tc.script, tc.dialect == "bash")
		}
	}
	f.Add("a=$(b) c <(d) > $(e) <<EOF\n$(f)\nEOF\n", true)
	f.Fuzz(func(t *testing.T, script string, bash bool) {
		dialect, lang := "sh", syntax.LangPOSIX
		if bash {
			dialect, lang = "bash", syntax.LangBash
		}
		got, err := ParseScript(script, dialect, "", nil)
		if err != nil {
			return
		}
		file, err := syntax.NewParser(syntax.Variant(lang)).Parse(strings.NewReader(script), "")
		if err != nil {
			t.Fatalf("planner accepted what the parser rejects: %v", err)
		}
		calls := 0
		syntax.Walk(file, func(n syntax.Node) bool {
			if c, ok := n.(*syntax.CallExpr); ok && len(c.Args) > 0 {
				calls++
			}
			return true
		})
		if len(got.Commands) < calls {
			t.Fatalf("planned %d commands, parser has %d\n%s", len(got.Commands), calls, dump(got))
		}
		if !slices.IsSorted(got.Names) || !slices.IsSorted(got.RedirectWrites) {
			t.Fatalf("unsorted facts %q %q", got.Names, got.RedirectWrites)
		}
		for _, c := range got.Commands {
			if !slices.Contains(got.Names, c.Name) {
				t.Fatalf("name %q missing from Names", c.Name)
			}
		}
		if slices.Contains(got.RedirectWrites, "") {
			t.Fatal("empty redirect write")
		}
	})
}
