package policy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

// waitHook waits for the next reload result; a reload that never comes
// fails the test instead of hanging it.
func waitHook(t *testing.T, ch <-chan string, want string) {
	t.Helper()
	select {
	case got := <-ch:
		if got != want {
			t.Fatalf("reload result %q, want %q", got, want)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("no reload (want %q) within 20s", want)
	}
}

// writeAtomic replaces dir/name by a rename, as deploy tools do, so that
// no reload can read a half-written file (which would be refused, and
// the test could not tell that from a real refusal).
func writeAtomic(t *testing.T, dir, name, content string) {
	t.Helper()
	tmp := filepath.Join(dir, ".tmp-"+name)
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

// TestWatchReloadsUnderLoad changes a watched directory many times while
// deciders run flat out: every decision is whole (its effect and rule match
// its revision), none fails, a broken revision is refused while the last
// good one keeps serving, and the fix goes live again.
func TestWatchReloadsUnderLoad(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	variant := func(i int) string {
		eff := "allow"
		if i%2 == 1 {
			eff = "deny"
		}
		return fmt.Sprintf(`decision := {"effect": %q, "reasons": [{"rule_id": "r%d.%s", "message": "m", "effect": %q}]}`, eff, i, eff, eff)
	}
	writeFiles(t, dir, policyWith(variant(0)))
	hooks := make(chan string, 64)
	// The generous timeout keeps a stalled goroutine on a loaded -race run
	// from counting as a policy failure.
	e, err := New(ctx, Conf{Dir: dir, Watch: true, Timeout: time.Minute}, WithLogger(zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))), WithReloadHook(func(r string) { hooks <- r }))
	if err != nil {
		t.Fatal(err)
	}
	e.watching = make(chan struct{})
	ran := make(chan error, 1)
	go func() { ran <- e.Run(ctx) }()
	// Writes before the watch starts would be seen only by the re-scan.
	select {
	case <-e.watching:
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not start watching")
	}

	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		seen    = map[string]string{} // revision -> rule id
		stop    = make(chan struct{})
		errs    = make(chan error, 16)
		decided sync.Map
	)
	var once sync.Once
	halt := func() { once.Do(func() { close(stop); wg.Wait() }) }
	// Deciders must be gone before the test ends, even when it fails.
	defer halt()
	for g := range 4 {
		wg.Go(func() {
			in := fileInput("write_file", "dev", fmt.Sprintf("src/f%d.go", g))
			n := 0
			for {
				select {
				case <-stop:
					decided.Store(g, n)
					return
				default:
				}
				d := e.Decide(ctx, in)
				n++
				if d.Err != nil || d.Revision == "" || len(d.Reasons) != 1 ||
					!strings.HasSuffix(d.Reasons[0].RuleID, "."+string(d.Effect)) {
					errs <- fmt.Errorf("bad decision %+v", d)
					return
				}
				mu.Lock()
				if prev, ok := seen[d.Revision]; ok && prev != d.Reasons[0].RuleID {
					errs <- fmt.Errorf("revision %s decided by %s and %s", d.Revision, prev, d.Reasons[0].RuleID)
				}
				seen[d.Revision] = d.Reasons[0].RuleID
				mu.Unlock()
			}
		})
	}

	const changes = 12
	for i := 1; i <= changes; i++ {
		writeAtomic(t, dir, "airlock.rego", policyWith(variant(i))["airlock.rego"])
		waitHook(t, hooks, ReloadOK)
		if d := e.Decide(ctx, fileInput("read_file", "dev", "x")); d.Reasons[0].RuleID != fmt.Sprintf("r%d.%s", i, d.Effect) {
			t.Fatalf("change %d not live: %+v", i, d)
		}
	}
	good := e.Revision()
	writeAtomic(t, dir, "broken.rego", "package airlock\n\nx := {\n")
	waitHook(t, hooks, ReloadError)
	if st := e.Status(); e.Revision() != good || st.LastError == nil || !strings.Contains(st.LastError.Error(), "broken.rego") {
		t.Fatalf("broken revision: live %s (want %s), status %+v", e.Revision(), good, st)
	}
	if d := e.Decide(ctx, fileInput("read_file", "dev", "x")); d.Revision != good || d.Err != nil {
		t.Fatalf("last good revision not serving: %+v", d)
	}
	if err := os.Remove(filepath.Join(dir, "broken.rego")); err != nil {
		t.Fatal(err)
	}
	writeAtomic(t, dir, "airlock.rego", policyWith(variant(changes + 1))["airlock.rego"])
	waitHook(t, hooks, ReloadOK)
	if st := e.Status(); st.LastError != nil || e.Revision() == good {
		t.Fatalf("fixed policy not live: %+v", st)
	}

	halt()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	total := 0
	decided.Range(func(_, v any) bool { total += v.(int); return true })
	if total == 0 || len(seen) < 3 {
		t.Fatalf("deciders made %d decisions over %d revisions; the test proved nothing", total, len(seen))
	}
	cancel()
	if err := <-ran; err != context.Canceled {
		t.Fatalf("Run returned %v", err)
	}
	t.Logf("%d decisions over %d revisions", total, len(seen))
}

// TestReloadRefusesFailingRegoTests: a revision whose own tests fail never
// serves, at start or on reload.
func TestReloadRefusesFailingRegoTests(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	test := "package airlock\n\ntest_allows if decision.effect == \"allow\" with input as {}\n"
	writeFiles(t, dir, policyWith(allowAll))
	writeFiles(t, dir, map[string]string{"airlock_test.rego": test})
	e, err := New(ctx, Conf{Dir: dir})
	if err != nil {
		t.Fatalf("passing tests refused: %v", err)
	}
	rev := e.Revision()
	writeFiles(t, dir, policyWith(denyAll))
	err = e.Reload(ctx)
	if err == nil || !strings.Contains(err.Error(), "policy tests failed: 1 of 1 (airlock.test_allows)") {
		t.Fatalf("Reload() = %v, want the failing test named", err)
	}
	if e.Revision() != rev || e.Status().LastError == nil {
		t.Fatalf("failing revision went live or was not recorded: %+v", e.Status())
	}
	if _, err := New(ctx, Conf{Dir: dir}); err == nil {
		t.Fatal("New accepted a policy whose tests fail")
	}
}

func TestSmokeWarnings(t *testing.T) {
	cases := []struct {
		name  string
		files func(t *testing.T) string
		warn  bool
	}{
		{name: "example policies", files: func(t *testing.T) string { return copyExamples(t) }},
		{name: "deny everything", warn: true, files: func(t *testing.T) string {
			d := t.TempDir()
			writeFiles(t, d, policyWith(denyAll))
			return d
		}},
		{name: "allow only reads", files: func(t *testing.T) string {
			d := t.TempDir()
			writeFiles(t, d, policyWith(`default decision := {"effect": "deny", "reasons": [{"rule_id": "d", "message": "m", "effect": "deny"}]}

decision := {"effect": "allow", "reasons": []} if input.action.kind == "read_file"`))
			return d
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, err := New(context.Background(), Conf{Dir: tc.files(t)})
			if err != nil {
				t.Fatal(err)
			}
			w := e.Status().Live.Warnings
			if tc.warn != (len(w) > 0) {
				t.Fatalf("warnings %q, want some: %v", w, tc.warn)
			}
			if tc.warn && !strings.Contains(w[0], "exec ls (v2)") {
				t.Fatalf("warning does not say what was denied: %q", w[0])
			}
		})
	}
}

func TestExplain(t *testing.T) {
	ctx := context.Background()
	e, err := New(ctx, Conf{Dir: copyExamples(t)})
	if err != nil {
		t.Fatal(err)
	}
	in := fileInput("write_file", "prod", ".env")
	want := e.Decide(ctx, in)
	got, lines := e.Explain(ctx, in)
	if Differs(want, got) || got.Revision != want.Revision {
		t.Fatalf("Explain decided %+v, Decide %+v", got, want)
	}
	joined := strings.Join(lines, "\n")
	if len(lines) < 10 || !strings.Contains(joined, "secrets.rego") || !strings.Contains(joined, "data.airlock.decision") {
		t.Fatalf("explanation lacks locations or the query (%d lines):\n%s", len(lines), joined)
	}
}

func TestReplay(t *testing.T) {
	ctx := context.Background()
	live, err := New(ctx, Conf{Dir: copyExamples(t)})
	if err != nil {
		t.Fatal(err)
	}
	candDir := copyExamples(t)
	// The candidate also escalates every write to docs/.
	writeFiles(t, candDir, map[string]string{"candidate.rego": `package airlock

escalate contains {"rule_id": "candidate.runbooks", "message": "runbooks need review", "effect": "escalate"} if {
	input.plan.mutating
	"runbooks" in input.plan.top_dirs
}
`})
	cand, err := New(ctx, Conf{Dir: candDir})
	if err != nil {
		t.Fatal(err)
	}
	inputs := []*Input{
		fileInput("read_file", "dev", "runbooks/a.md"),
		fileInput("write_file", "dev", "runbooks/a.md"),
		fileInput("write_file", "dev", "src/a.go"),
	}
	recs := func(yield func(Recorded) bool) {
		for i, in := range inputs {
			if !yield(Recorded{ID: fmt.Sprint("act_", i), Input: in, Decision: live.Decide(ctx, in)}) {
				return
			}
		}
	}
	diffs := Replay(ctx, cand, recs)
	if len(diffs) != 1 || diffs[0].ID != "act_1" || diffs[0].Candidate.Effect != Escalate ||
		!slices.Contains(ruleIDs(diffs[0].Candidate), "candidate.runbooks") {
		t.Fatalf("Replay() = %+v", diffs)
	}
}

func TestDiffers(t *testing.T) {
	allow := Decision{Effect: Allow, Reasons: []Reason{{RuleID: "a", Effect: Allow, Message: "x"}}}
	cases := []struct {
		name string
		b    Decision
		want bool
	}{
		{name: "same but message and revision", b: Decision{Effect: Allow, Revision: "r2", Reasons: []Reason{{RuleID: "a", Effect: Allow, Message: "y"}}}},
		{name: "effect", b: Decision{Effect: Deny, Reasons: []Reason{{RuleID: "a", Effect: Deny}}}, want: true},
		{name: "rule id", b: Decision{Effect: Allow, Reasons: []Reason{{RuleID: "b", Effect: Allow}}}, want: true},
		{name: "extra reason", b: Decision{Effect: Allow, Reasons: []Reason{{RuleID: "a", Effect: Allow}, {RuleID: "b", Effect: Allow}}}, want: true},
		{name: "no reasons", b: Decision{Effect: Allow}, want: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Differs(allow, tc.b); got != tc.want {
				t.Fatalf("Differs = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestNestedEnvironmentData(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, policyWith(`decision := {"effect": "allow", "reasons": [{"rule_id": data.envs[input.workspace.environment].owner, "message": "m", "effect": "allow"}]}`))
	writeFiles(t, dir, map[string]string{
		"envs/prod/data.json": `{"owner": "sre"}`,
		"envs/dev/data.yaml":  "owner: devs\n",
	})
	e, err := New(context.Background(), Conf{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for env, want := range map[string]string{"prod": "sre", "dev": "devs"} {
		if d := e.Decide(context.Background(), fileInput("read_file", env, "a")); d.Effect != Allow || d.Reasons[0].RuleID != want {
			t.Errorf("%s: %+v, want rule %s", env, d, want)
		}
	}
}

func TestConfValidateSources(t *testing.T) {
	cases := []struct {
		name string
		conf Conf
		key  string
	}{
		{name: "dir and bundle", conf: Conf{Dir: "p", Bundle: &BundleConf{File: "b"}}, key: "policy.dir"},
		{name: "bundle without location", conf: Conf{Bundle: &BundleConf{}}, key: "policy.bundle"},
		{name: "bundle url and file", conf: Conf{Bundle: &BundleConf{File: "b", URL: "https://x"}}, key: "policy.bundle"},
		{name: "bundle url scheme", conf: Conf{Bundle: &BundleConf{URL: "file:///etc/passwd"}}, key: "policy.bundle.url"},
		{name: "short poll", conf: Conf{Bundle: &BundleConf{File: "b", PollInterval: time.Millisecond}}, key: "policy.bundle.poll_interval"},
		{name: "signing without key", conf: Conf{Bundle: &BundleConf{File: "b", Signing: &SigningConf{}}}, key: "policy.bundle.signing.public_key_file"},
		{name: "watch a bundle", conf: Conf{Watch: true, Bundle: &BundleConf{File: "b"}}, key: "policy.watch"},
		{name: "short rescan", conf: Conf{Dir: "p", Rescan: time.Millisecond}, key: "policy.rescan"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.conf
			c.SetDefaults()
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.key+":") {
				t.Fatalf("Validate() = %v, want an error naming %s", err, tc.key)
			}
		})
	}
}
