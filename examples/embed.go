// Package examples embeds the example configuration, policies and demo
// workspace, so that `airlock serve` and `airlock demo` work from any
// directory with nothing else set up.
package examples

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// FS holds airlock.yaml, policies/ and workspace/.
//
//go:embed airlock.yaml policies workspace all:workspace/.env all:workspace/.github
var FS embed.FS

// Unpack writes the embedded examples under dir (airlock.yaml, policies/,
// workspace/) and returns the config path. The config and policies are
// rewritten each time, so they match the binary; workspace files that exist
// are kept, so a demo workspace an agent changed keeps its changes.
func Unpack(dir string) (string, error) {
	err := fs.WalkDir(FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if filepath.Ext(p) == ".go" {
			return nil
		}
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		if _, err := os.Lstat(dst); err == nil && strings.HasPrefix(p, "workspace/") {
			return nil
		}
		raw, err := FS.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, raw, 0o644)
	})
	if err != nil {
		return "", fmt.Errorf("examples: unpacking into %s: %w", dir, err)
	}
	return filepath.Join(dir, "airlock.yaml"), nil
}
