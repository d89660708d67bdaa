package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// nobody is the unprivileged owner given to the example workspace when the
// server runs as root: the command sandbox never runs as host root, so it
// runs commands as the workspace's owner and refuses root-owned workspaces.
const nobody = 65534

// giveWorkspaceAway prepares the unpacked example (dir/workspace) for a root
// server: owned by nobody, with dir traversable. A no-op for other users.
func giveWorkspaceAway(dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := os.Chmod(abs, 0o755); err != nil {
		return fmt.Errorf("preparing the example workspace: %w", err)
	}
	return filepath.WalkDir(filepath.Join(abs, "workspace"), func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, nobody, nobody)
	})
}
