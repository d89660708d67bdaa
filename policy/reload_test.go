package policy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

const (
	allowAll = `decision := {"effect": "allow", "reasons": [{"rule_id": "v1", "message": "m", "effect": "allow"}]}`
	denyAll  = `decision := {"effect": "deny", "reasons": [{"rule_id": "v2", "message": "m", "effect": "deny"}]}`
)

func TestReloadSwapsAndRefusesBrokenPolicy(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeFiles(t, dir, policyWith(allowAll))
	e, err := New(ctx, Conf{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	in := fileInput("read_file", "dev", "src/a.go")
	rev1 := e.Revision()
	if d := e.Decide(ctx, in); d.Effect != Allow || d.Revision != rev1 {
		t.Fatalf("before reload: %+v", d)
	}

	if err := e.Reload(ctx); err != nil || e.Revision() != rev1 {
		t.Fatalf("reload of unchanged sources: err %v, revision %s -> %s", err, rev1, e.Revision())
	}

	writeFiles(t, dir, policyWith(denyAll))
	if err := e.Reload(ctx); err != nil {
		t.Fatalf("reload: %v", err)
	}
	rev2 := e.Revision()
	if rev2 == rev1 {
		t.Fatal("revision unchanged after the policy changed")
	}
	if d := e.Decide(ctx, in); d.Effect != Deny || d.Reasons[0].RuleID != "v2" || d.Revision != rev2 {
		t.Fatalf("after reload: %+v", d)
	}

	writeFiles(t, dir, map[string]string{"broken.rego": "package airlock\n\nx := {\n"})
	if err := e.Reload(ctx); err == nil {
		t.Fatal("broken policy reloaded")
	}
	if e.Revision() != rev2 {
		t.Fatalf("revision changed by a refused reload: %s", e.Revision())
	}
	if d := e.Decide(ctx, in); d.Effect != Deny || d.Reasons[0].RuleID != "v2" || d.Err != nil {
		t.Fatalf("old policy no longer serving: %+v", d)
	}
}

func TestRevisionIgnoresTestsAndCoversData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeFiles(t, dir, policyWith(`decision := {"effect": "allow", "reasons": [{"rule_id": data.airlock.id, "message": "m", "effect": "allow"}]}`))
	writeFiles(t, dir, map[string]string{"data.json": `{"airlock": {"id": "from-data"}}`})
	e, err := New(ctx, Conf{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if d := e.Decide(ctx, fileInput("read_file", "dev", "a")); d.Effect != Allow || d.Reasons[0].RuleID != "from-data" {
		t.Fatalf("data.json not loaded: %+v", d)
	}
	rev := e.Revision()

	// A test file may even conflict with the policy: it is never served.
	writeFiles(t, dir, map[string]string{
		"airlock_test.rego": "package airlock\n\ndecision := 1\n\ntest_x if true\n",
		"fixtures.json":     `{"airlock": {"id": "stray"}}`,
	})
	if err := e.Reload(ctx); err != nil {
		t.Fatalf("reload with a test file: %v", err)
	}
	if e.Revision() != rev {
		t.Fatalf("test or stray json file changed the revision")
	}

	writeFiles(t, dir, map[string]string{"data.json": `{"airlock": {"id": "changed"}}`})
	if err := e.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if e.Revision() == rev {
		t.Fatal("data change did not change the revision")
	}
	if d := e.Decide(ctx, fileInput("read_file", "dev", "a")); d.Reasons[0].RuleID != "changed" {
		t.Fatalf("reloaded data not served: %+v", d)
	}
}

// TestConcurrentDecideDuringReload is meant for -race: deciders never lock
// and must always see one whole revision, never a mix.
func TestConcurrentDecideDuringReload(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeFiles(t, dir, policyWith(allowAll))
	e, err := New(ctx, Conf{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	revs := map[string]Effect{e.Revision(): Allow}
	writeFiles(t, dir, policyWith(denyAll))
	if err := e.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	revs[e.Revision()] = Deny

	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			in := fileInput("write_file", "dev", fmt.Sprintf("src/f%d.go", g))
			for range 200 {
				d := e.Decide(ctx, in)
				want, ok := revs[d.Revision]
				if !ok || d.Effect != want || d.Err != nil {
					errs <- fmt.Errorf("decision %+v does not match its revision", d)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for i := range 20 {
			body := allowAll
			if i%2 == 1 {
				body = denyAll
			}
			// Not writeFiles: t.Fatal must not run off the test goroutine.
			if err := os.WriteFile(filepath.Join(dir, "airlock.rego"), []byte(policyWith(body)["airlock.rego"]), 0o644); err != nil {
				errs <- err
				return
			}
			if err := e.Reload(ctx); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestSymlinkedSourcesLoad covers the layout of a Kubernetes ConfigMap
// mount: every file is a symlink into a hidden directory.
func TestSymlinkedSourcesLoad(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"..data/airlock.rego": policyWith(allowAll)["airlock.rego"]})
	if err := os.Symlink(filepath.Join("..data", "airlock.rego"), filepath.Join(dir, "airlock.rego")); err != nil {
		t.Skipf("symlinks unavailable: %v", err)
	}
	e, err := New(context.Background(), Conf{Dir: dir})
	if err != nil {
		t.Fatalf("New over symlinked files: %v", err)
	}
	if d := e.Decide(context.Background(), fileInput("read_file", "dev", "a")); d.Effect != Allow {
		t.Fatalf("symlinked policy not served: %+v", d)
	}
}
