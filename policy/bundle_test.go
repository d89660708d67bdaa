package policy

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/open-policy-agent/opa/v1/bundle"
)

// makeBundle writes an OPA bundle with OPA's own writer, signed with key
// when key is not nil. tamper, when set, edits a module after signing.
func makeBundle(t testing.TB, modules map[string]string, data map[string]any, key *rsa.PrivateKey, tamper func(*bundle.Bundle)) []byte {
	t.Helper()
	b := bundle.Bundle{Data: data}
	if b.Data == nil {
		b.Data = map[string]any{}
	}
	for name, src := range modules {
		b.Modules = append(b.Modules, bundle.ModuleFile{URL: name, Path: name, Raw: []byte(src)})
	}
	if key != nil {
		priv := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
		if err := b.GenerateSignature(bundle.NewSigningConfig(string(priv), "RS256", ""), "ci", false); err != nil {
			t.Fatalf("sign bundle: %v", err)
		}
	}
	if tamper != nil {
		tamper(&b)
	}
	var buf bytes.Buffer
	if err := bundle.NewWriter(&buf).Write(b); err != nil {
		t.Fatalf("write bundle: %v", err)
	}
	return buf.Bytes()
}

// bundleServer serves one bundle at a time over HTTP on loopback with a
// content ETag, answering If-None-Match with 304, as a static file server
// or an object store does.
type bundleServer struct {
	mu          sync.Mutex
	body        []byte
	notModified atomic.Int64
	served      atomic.Int64
	srv         *httptest.Server
}

func newBundleServer(t testing.TB, body []byte) *bundleServer {
	s := &bundleServer{body: body}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		body := s.body
		s.mu.Unlock()
		sum := sha256.Sum256(body)
		etag := `"` + hex.EncodeToString(sum[:8]) + `"`
		if r.Header.Get("If-None-Match") == etag {
			s.notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		s.served.Add(1)
		w.Header().Set("ETag", etag)
		w.Header().Set("Content-Type", "application/gzip")
		_, _ = w.Write(body)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *bundleServer) set(body []byte) {
	s.mu.Lock()
	s.body = body
	s.mu.Unlock()
}

func TestBundleOverHTTPWithETag(t *testing.T) {
	ctx := context.Background()
	srv := newBundleServer(t, makeBundle(t, policyWith(allowAll), nil, nil, nil))
	if !strings.HasPrefix(srv.srv.URL, "http://127.0.0.1:") {
		t.Fatalf("test server not on loopback: %s", srv.srv.URL)
	}
	var hooks []string
	e, err := New(ctx, Conf{Bundle: &BundleConf{URL: srv.srv.URL + "/bundle.tar.gz?token=secret"}},
		WithReloadHook(func(r string) { hooks = append(hooks, r) }))
	if err != nil {
		t.Fatal(err)
	}
	in := fileInput("read_file", "dev", "src/a.go")
	rev1 := e.Revision()
	if d := e.Decide(ctx, in); d.Effect != Allow || d.Revision != rev1 {
		t.Fatalf("bundle policy not served: %+v", d)
	}
	if src := e.Status().Live.Source; strings.Contains(src, "secret") || !strings.HasPrefix(src, "bundle:http://127.0.0.1") {
		t.Fatalf("source %q leaks the query or is wrong", src)
	}

	// Unchanged: the server answers 304 and nothing is rebuilt.
	if err := e.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if srv.notModified.Load() != 1 || e.builds.Load() != 0 || len(hooks) != 0 {
		t.Fatalf("unchanged bundle: 304s %d, builds %d, hooks %v", srv.notModified.Load(), e.builds.Load(), hooks)
	}

	srv.set(makeBundle(t, policyWith(denyAll), map[string]any{"envs": map[string]any{"prod": map[string]any{"frozen": true}}}, nil, nil))
	if err := e.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if e.Revision() == rev1 || e.builds.Load() != 1 || len(hooks) != 1 || hooks[0] != ReloadOK {
		t.Fatalf("changed bundle: revision %s (was %s), builds %d, hooks %v", e.Revision(), rev1, e.builds.Load(), hooks)
	}
	if d := e.Decide(ctx, in); d.Effect != Deny || d.Reasons[0].RuleID != "v2" {
		t.Fatalf("new bundle not served: %+v", d)
	}
	if srv.served.Load() != 2 {
		t.Fatalf("bundle downloaded %d times, want 2", srv.served.Load())
	}
}

func TestBundleDataIsServed(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "bundle.tar.gz")
	rule := `decision := {"effect": "allow", "reasons": [{"rule_id": data.envs[input.workspace.environment].rule, "message": "m", "effect": "allow"}]}`
	raw := makeBundle(t, policyWith(rule), map[string]any{"envs": map[string]any{"prod": map[string]any{"rule": "prod-rule"}}}, nil, nil)
	if err := os.WriteFile(file, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := New(ctx, Conf{Bundle: &BundleConf{File: file}})
	if err != nil {
		t.Fatal(err)
	}
	if d := e.Decide(ctx, fileInput("read_file", "prod", "a")); d.Effect != Allow || d.Reasons[0].RuleID != "prod-rule" {
		t.Fatalf("bundle data not served: %+v", d)
	}
}

func TestSignedBundle(t *testing.T) {
	ctx := context.Background()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubFile := filepath.Join(t.TempDir(), "bundle.pub")
	if err := os.WriteFile(pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644); err != nil {
		t.Fatal(err)
	}
	signing := &SigningConf{PublicKeyFile: pubFile, KeyID: "ci"}
	tamper := func(b *bundle.Bundle) {
		b.Modules[0].Raw = []byte(policyWith(allowAll)["airlock.rego"] + "\nbackdoor := true\n")
	}
	cases := []struct {
		name string
		body []byte
		ok   bool
		want string
	}{
		{name: "signed with the configured key", body: makeBundle(t, policyWith(allowAll), nil, key, nil), ok: true},
		{name: "unsigned", body: makeBundle(t, policyWith(allowAll), nil, nil, nil), want: "missing .signatures.json"},
		{name: "tampered after signing", body: makeBundle(t, policyWith(allowAll), nil, key, tamper), want: "digest"},
		{name: "signed with another key", body: makeBundle(t, policyWith(allowAll), nil, other, nil), want: "verif"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newBundleServer(t, tc.body)
			_, err := New(ctx, Conf{Bundle: &BundleConf{URL: srv.srv.URL, Signing: signing}})
			if tc.ok != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("New() = %v, want ok %v (%q)", err, tc.ok, tc.want)
			}
		})
	}

	// A tampered update is refused and the signed revision keeps serving.
	srv := newBundleServer(t, makeBundle(t, policyWith(allowAll), nil, key, nil))
	e, err := New(ctx, Conf{Bundle: &BundleConf{URL: srv.srv.URL, Signing: signing}})
	if err != nil {
		t.Fatal(err)
	}
	rev := e.Revision()
	srv.set(makeBundle(t, policyWith(denyAll), nil, key, func(b *bundle.Bundle) {
		b.Modules[0].Raw = append(b.Modules[0].Raw, "\n# edited\n"...)
	}))
	if err := e.Reload(ctx); err == nil {
		t.Fatal("tampered bundle reloaded")
	}
	st := e.Status()
	if e.Revision() != rev || st.LastError == nil {
		t.Fatalf("after a refused bundle: revision %s (want %s), status %+v", e.Revision(), rev, st)
	}
	if d := e.Decide(ctx, fileInput("read_file", "dev", "a")); d.Effect != Allow || d.Revision != rev {
		t.Fatalf("signed revision no longer serving: %+v", d)
	}
	// The same refused bytes are not judged again: 304 keeps the error.
	if err := e.Reload(ctx); err != nil || srv.notModified.Load() != 1 {
		t.Fatalf("re-poll of refused bundle: err %v, 304s %d", err, srv.notModified.Load())
	}
}

func TestBundleWithFailingTestsRefused(t *testing.T) {
	files := policyWith(allowAll)
	files["airlock_test.rego"] = "package airlock\n\ntest_denies if decision.effect == \"deny\"\n"
	srv := newBundleServer(t, makeBundle(t, files, nil, nil, nil))
	_, err := New(context.Background(), Conf{Bundle: &BundleConf{URL: srv.srv.URL}})
	if err == nil || !strings.Contains(err.Error(), "airlock.test_denies") {
		t.Fatalf("New() = %v, want the failing test named", err)
	}
}

func TestBundleHTTPErrorsRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/garbage" {
			_, _ = w.Write([]byte("not a tarball"))
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	for _, p := range []string{"/missing", "/garbage"} {
		if _, err := New(context.Background(), Conf{Bundle: &BundleConf{URL: srv.URL + p}}); err == nil {
			t.Errorf("%s: New succeeded", p)
		}
	}
}
