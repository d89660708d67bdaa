package policy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"testing/fstest"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"
)

// bundleFetchTimeout bounds one bundle download, so that a stalled server
// cannot hold the reload lock.
const bundleFetchTimeout = 30 * time.Second

// bundleSource reads an OPA bundle from a file or a URL with OPA's own
// bundle reader and signature verification: the format and its signing
// rules are OPA's, not ours to re-implement.
type bundleSource struct {
	conf   BundleConf
	client *http.Client
	verify *bundle.VerificationConfig

	// etag and sum describe the last bundle judged; fetch and seen run
	// under the engine's reload lock only.
	etag, sum string
}

func newBundleSource(c BundleConf, hc *http.Client) (*bundleSource, error) {
	b := &bundleSource{conf: c, client: hc}
	if b.client == nil {
		b.client = &http.Client{Timeout: bundleFetchTimeout}
	}
	if s := c.Signing; s != nil {
		key, err := os.ReadFile(s.PublicKeyFile)
		if err != nil {
			return nil, fmt.Errorf("policy.bundle.signing.public_key_file: %w", err)
		}
		alg := s.Algorithm
		if alg == "" {
			alg = "RS256"
		}
		id := s.KeyID
		if id == "" {
			id = "default"
		}
		kc := &bundle.KeyConfig{Key: string(key), Algorithm: alg, Scope: s.Scope}
		b.verify = bundle.NewVerificationConfig(map[string]*bundle.KeyConfig{id: kc}, id, s.Scope, nil)
	}
	return b, nil
}

func (b *bundleSource) String() string {
	if b.conf.URL != "" {
		return "bundle:" + redactURL(b.conf.URL)
	}
	return "bundle:" + b.conf.File
}

func (b *bundleSource) seen(snap *snapshot) {
	if snap != nil {
		b.etag, b.sum = snap.etag, snap.sum
	}
}

func (b *bundleSource) fetch(ctx context.Context) (*snapshot, error) {
	raw, etag, err := b.download(ctx)
	if err != nil || raw == nil {
		return nil, err
	}
	h := sha256.Sum256(raw)
	sum := hex.EncodeToString(h[:])
	if sum == b.sum {
		return nil, nil
	}
	snap, err := b.parse(raw)
	if err != nil {
		// Judged too: the same bytes would fail the same way next time.
		b.etag, b.sum = etag, sum
		return nil, fmt.Errorf("bundle %s: %w", b, err)
	}
	snap.etag, snap.sum = etag, sum
	return snap, nil
}

// download returns the bundle's bytes, or nil when the server answered 304
// Not Modified to the last ETag.
func (b *bundleSource) download(ctx context.Context) ([]byte, string, error) {
	if b.conf.File != "" {
		f, err := os.Open(b.conf.File)
		if err != nil {
			return nil, "", fmt.Errorf("bundle %s: %w", b, err)
		}
		defer f.Close()
		raw, err := readLimited(f)
		if err != nil {
			return nil, "", fmt.Errorf("bundle %s: %w", b, err)
		}
		return raw, "", nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.conf.URL, nil)
	if err != nil {
		return nil, "", fmt.Errorf("bundle %s: %w", b, err)
	}
	req.Header.Set("Accept", "application/gzip, application/octet-stream")
	if b.etag != "" {
		req.Header.Set("If-None-Match", b.etag)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		// url.Error quotes the whole URL, query (and any token) included.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, "", fmt.Errorf("bundle %s: %w", b, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusNotModified:
		return nil, "", nil
	case http.StatusOK:
	default:
		return nil, "", fmt.Errorf("bundle %s: HTTP %d", b, resp.StatusCode)
	}
	raw, err := readLimited(resp.Body)
	if err != nil {
		return nil, "", fmt.Errorf("bundle %s: %w", b, err)
	}
	return raw, resp.Header.Get("ETag"), nil
}

func readLimited(r io.Reader) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxSourceBytes+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > maxSourceBytes {
		return nil, fmt.Errorf("larger than %d bytes", maxSourceBytes)
	}
	return raw, nil
}

// parse reads and verifies a bundle and turns it into the same in-memory
// form a directory has, so that one compile path serves both: modules by
// their bundle path, tests apart, and the bundle's data as one data.json.
func (b *bundleSource) parse(raw []byte) (*snapshot, error) {
	r := bundle.NewReader(bytes.NewReader(raw)).
		WithRegoVersion(ast.RegoV1).
		WithProcessAnnotations(true).
		WithSizeLimitBytes(maxSourceBytes)
	if b.verify != nil {
		r = r.WithBundleVerificationConfig(b.verify)
	}
	bd, err := r.Read()
	if err != nil {
		return nil, err
	}
	if bd.Type() == bundle.DeltaBundleType {
		return nil, errors.New("delta bundles are not supported; serve a snapshot bundle")
	}
	snap := &snapshot{files: fstest.MapFS{}, tests: fstest.MapFS{}}
	total := 0
	for _, m := range bd.Modules {
		name := strings.TrimPrefix(path.Clean("/"+m.Path), "/")
		if name == "" {
			return nil, fmt.Errorf("module with an empty path")
		}
		fsys := snap.files
		if isTest(name) {
			fsys = snap.tests
		}
		fsys[name] = &fstest.MapFile{Data: m.Raw, Mode: 0o444}
		total += len(m.Raw)
	}
	if len(bd.Data) > 0 {
		bs, err := json.Marshal(bd.Data)
		if err != nil {
			return nil, fmt.Errorf("encode bundle data: %w", err)
		}
		snap.files["data.json"] = &fstest.MapFile{Data: bs, Mode: 0o444}
		total += len(bs)
	}
	if total > maxSourceBytes {
		return nil, fmt.Errorf("bundle contents exceed %d bytes", maxSourceBytes)
	}
	return snap, nil
}

// redactURL drops credentials and the query (which may carry a token) from
// a URL before it is logged or shown.
func redactURL(raw string) string {
	s := raw
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	if scheme, rest, ok := strings.Cut(s, "://"); ok {
		if at := strings.LastIndex(strings.SplitN(rest, "/", 2)[0], "@"); at >= 0 {
			rest = rest[at+1:]
		}
		s = scheme + "://" + rest
	}
	return s
}
