package policy

import (
	"context"
	"strings"
	"testing"
)

// FuzzDecideExample throws hostile paths and environments at the example
// policies: the engine must always return a well-formed decision, and a
// secret must never be readable whatever directory it hides in.
func FuzzDecideExample(f *testing.F) {
	for _, s := range []struct{ dir, env, kind string }{
		{"src", "prod", "read_file"},
		{"a/../b", "dev", "write_file"},
		{"\xff\xfe", "PROD", "move_file"},
		{"", "", "exec"},
		{".aws", "staging", "list_dir"},
		{"x\x00y", "dev\n", "apply_patch"},
	} {
		f.Add(s.dir, s.env, s.kind)
	}
	e, err := New(context.Background(), Conf{Dir: copyExamples(f)})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, dir, env, kind string) {
		p := strings.Trim(dir+"/x.go", "/")
		var in *Input
		if kind == "exec" {
			in = execInput(env, []string{dir, p})
		} else {
			in = fileInput(kind, env, p)
		}
		d := e.Decide(context.Background(), in)
		if rank(d.Effect) == 0 || (d.Effect != Allow && len(d.Reasons) == 0) || d.Revision == "" {
			t.Fatalf("malformed decision %+v", d)
		}
		if d.Err != nil {
			t.Fatalf("example policy failed on %q/%q/%q: %v", dir, env, kind, d.Err)
		}
		secret := fileInput("read_file", env, strings.Trim(dir+"/.env", "/"))
		if d := e.Decide(context.Background(), secret); d.Effect != Deny {
			t.Fatalf("secret %q not denied: %+v", secret.Plan.Path, d)
		}
	})
}
