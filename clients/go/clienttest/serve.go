package clienttest

import (
	"bufio"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

var servingRE = regexp.MustCompile(`serving on (\S+) \(tcp\)`)

// ServeBinary serves the test config with the airlock binary at bin
// (`airlock serve --config`), in its own process, so that commands run in
// the binary's own sandbox launcher rather than re-executing the test. It
// stops the process at cleanup.
func ServeBinary(tb testing.TB, bin string) *Server {
	tb.Helper()
	s, err := Prepare(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--config", s.Config)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	exited := make(chan struct{})
	tb.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	sc := bufio.NewScanner(stderr)
	var seen []string
	for sc.Scan() {
		seen = append(seen, sc.Text())
		if m := servingRE.FindStringSubmatch(sc.Text()); m != nil {
			s.Addr = m[1]
			break
		}
	}
	go func() {
		for sc.Scan() { // keep draining the JSON log
		}
		_ = cmd.Wait()
		close(exited)
	}()
	if s.Addr == "" {
		tb.Fatalf("clienttest: the server never said where it serves:\n%s", strings.Join(seen, "\n"))
	}
	return s
}
