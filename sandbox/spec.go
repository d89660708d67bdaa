package sandbox

import (
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"
)

// Spec is one command to run. Every field is treated as hostile input.
type Spec struct {
	// Workspace is the absolute host directory the command may write.
	Workspace string
	// Cwd is the working directory, relative to Workspace ("" is the root).
	Cwd string
	// Argv is the command; Argv[0] is looked up in the sandbox's PATH.
	Argv []string
	// Env is added to the scrubbed base environment; nothing of the
	// server's own environment is ever passed on.
	Env map[string]string
	// Stdin is fed to the command; nil means /dev/null.
	Stdin []byte
	// Network keeps the host network namespace (no netns layer).
	Network bool
	// Timeout overrides Conf.Timeout; it may not exceed Conf.MaxTimeout.
	Timeout time.Duration
	// OutputLimit overrides Conf.OutputLimit (bytes kept per stream).
	OutputLimit int64
	// Stdout and Stderr, when set, receive the captured output live. They
	// see only what is kept (up to the limit), so a flood never reaches a
	// client stream.
	Stdout, Stderr io.Writer
}

// Result is the outcome of a command that started.
type Result struct {
	// ExitCode is the command's exit status, or -1 when a signal ended it.
	ExitCode int
	// Signal names the signal that ended the command ("SIGKILL"), if any.
	Signal string
	// TimedOut is set when the wall-clock limit killed the command.
	TimedOut bool
	// Stdout and Stderr hold at most the output limit each.
	Stdout, Stderr []byte
	// StdoutBytes and StderrBytes count everything written, kept or not.
	StdoutBytes, StderrBytes int64
	// Truncated is set when either stream exceeded the limit.
	Truncated bool
	// Duration is the wall time from start to the end of the command.
	Duration time.Duration
	// Layers are the layers actually applied to this run.
	Layers []string
}

// checkSpec validates s against c and fills its defaults.
func checkSpec(c *Conf, s *Spec) error {
	var errs []error
	if s.Workspace == "" || !path.IsAbs(s.Workspace) || path.Clean(s.Workspace) != s.Workspace ||
		strings.ContainsRune(s.Workspace, 0) || s.Workspace == "/" {
		errs = append(errs, fmt.Errorf("workspace: %q must be an absolute, clean path other than /", s.Workspace))
	}
	if s.Cwd == "" {
		s.Cwd = "."
	}
	if s.Cwd != "." && (!isLocal(s.Cwd) || strings.ContainsRune(s.Cwd, 0)) {
		errs = append(errs, fmt.Errorf("cwd: %q must be a relative path inside the workspace", s.Cwd))
	}
	if len(s.Argv) == 0 || s.Argv[0] == "" {
		errs = append(errs, errors.New("argv: empty command"))
	}
	for i, a := range s.Argv {
		if strings.ContainsRune(a, 0) {
			errs = append(errs, fmt.Errorf("argv[%d]: contains NUL", i))
		}
	}
	for k, v := range s.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.ContainsRune(v, 0) {
			errs = append(errs, fmt.Errorf("env: invalid variable %q", k))
		}
	}
	switch {
	case s.Timeout < 0:
		errs = append(errs, errors.New("timeout: negative"))
	case s.Timeout == 0:
		s.Timeout = c.Timeout
	case s.Timeout > c.MaxTimeout:
		errs = append(errs, fmt.Errorf("timeout: %v exceeds the maximum %v", s.Timeout, c.MaxTimeout))
	}
	switch {
	case s.OutputLimit < 0:
		errs = append(errs, errors.New("output_limit: negative"))
	case s.OutputLimit == 0:
		s.OutputLimit = c.OutputLimit
	}
	return errors.Join(errs...)
}

// isLocal is filepath.IsLocal for Unix paths: non-empty, relative, and
// not leaving its base through "..". The package avoids path/filepath (and
// crypto/rand): in a large binary both initialise late, and a launcher can
// only start once every package it imports has initialised (see init in
// launcher_linux.go; TestLauncherImports keeps it so).
func isLocal(p string) bool {
	if p == "" || path.IsAbs(p) {
		return false
	}
	c := path.Clean(p)
	return c != ".." && !strings.HasPrefix(c, "../")
}
