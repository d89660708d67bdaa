package shell

import (
	"errors"
	"slices"
	"testing"

	"github.com/airlock-dev/airlock/policy"
)

func TestParseArgv(t *testing.T) {
	cases := []struct {
		name    string
		argv    []string
		names   []string
		last    []string // argv of the last command
		wrapped []string // WrappedBy of the last command
		dynamic bool
		err     error
	}{
		{name: "plain", argv: []string{"ls", "-l"}, names: []string{"ls"}, last: []string{"ls", "-l"}, wrapped: []string{}},
		{name: "bash -c unwraps", argv: []string{"bash", "-c", "rm x"}, names: []string{"bash", "rm"},
			last: []string{"rm", "x"}, wrapped: []string{"bash"}},
		{name: "no expansion in argv mode", argv: []string{"echo", "$(rm x)", "*"}, names: []string{"echo"},
			last: []string{"echo", "$(rm x)", "*"}, wrapped: []string{}},
		{name: "literal dollar command is not dynamic", argv: []string{"$X"}, names: []string{"$X"}, last: []string{"$X"}, wrapped: []string{}},
		{name: "sudo timeout", argv: []string{"sudo", "timeout", "5", "/bin/rm", "-rf", "/"},
			names: []string{"rm", "sudo", "timeout"}, last: []string{"/bin/rm", "-rf", "/"}, wrapped: []string{"sudo", "timeout"}},
		{name: "sh -c variable script is dynamic", argv: []string{"sh", "-c", "$X"}, dynamic: true},
		{name: "env PATH is dynamic", argv: []string{"env", "PATH=/tmp", "ls"}, dynamic: true},
		{name: "empty", argv: nil, err: ErrEmptyArgv},
		{name: "unparseable inner script", argv: []string{"sh", "-c", "(("}, err: ErrParse},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseArgv(tc.argv, "", nil)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseArgv: %v", err)
			}
			if got.Dynamic != tc.dynamic {
				t.Errorf("Dynamic = %v, want %v", got.Dynamic, tc.dynamic)
			}
			if tc.names != nil && !slices.Equal(got.Names, tc.names) {
				t.Errorf("Names = %q, want %q", got.Names, tc.names)
			}
			last := got.Commands[len(got.Commands)-1]
			if tc.last != nil && (!slices.Equal(last.Argv, tc.last) || !slices.Equal(last.WrappedBy, tc.wrapped) || !last.Literal) {
				t.Errorf("last = %q by %q literal %v, want %q by %q literal", last.Argv, last.WrappedBy, last.Literal, tc.last, tc.wrapped)
			}
		})
	}
}

func TestRedirectDetails(t *testing.T) {
	got, err := ParseScript("cd sub && make 2>/dev/null >> ../log.txt < in 2>&1 >/etc/x", "bash", "ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []policy.Redirect{
		{Op: "2>", Target: "/dev/null", Path: "/dev/null", Write: true},
		{Op: ">>", Target: "../log.txt", Path: "ws/log.txt", Write: true},
		{Op: "<", Target: "in", Path: "ws/sub/in"},
		{Op: "2>&", Target: "1"},
		{Op: ">", Target: "/etc/x", Path: "/etc/x", Write: true, Outside: true},
	}
	if n := len(got.Commands); n != 2 {
		t.Fatalf("got %d commands", n)
	}
	if r := got.Commands[1].Redirects; !slices.Equal(r, want) {
		t.Errorf("redirects =\n%+v\nwant\n%+v", r, want)
	}
	if !slices.Equal(got.RedirectWrites, []string{"/etc/x", "ws/log.txt"}) || !got.Outside || got.Cwd != "ws" {
		t.Errorf("writes %q outside %v cwd %q", got.RedirectWrites, got.Outside, got.Cwd)
	}
}

// TestCustomResolver checks that the resolver decides, not the planner.
func TestCustomResolver(t *testing.T) {
	var asked []string
	res := func(p string) (string, bool) {
		asked = append(asked, p)
		return "ws/" + p, p == "secret"
	}
	got, err := ParseScript("echo > a; echo > secret", "sh", "", res)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Outside || !slices.Equal(got.RedirectWrites, []string{"secret", "ws/a"}) {
		t.Errorf("outside %v writes %q", got.Outside, got.RedirectWrites)
	}
	if !slices.Contains(asked, "a") || !slices.Contains(asked, "secret") {
		t.Errorf("resolver asked %q", asked)
	}
}

func TestDefaultResolver(t *testing.T) {
	cases := []struct {
		name, cwd, in, rel string
		outside            bool
	}{
		{name: "root relative", cwd: "", in: "a/b", rel: "a/b"},
		{name: "cwd joined", cwd: "src", in: "x.go", rel: "src/x.go"},
		{name: "dot", cwd: "src", in: ".", rel: "src"},
		{name: "root dot", cwd: ".", in: ".", rel: "."},
		{name: "up inside", cwd: "src/pkg", in: "../x", rel: "src/x"},
		{name: "up outside", cwd: "src", in: "../../x", rel: "../../x", outside: true},
		{name: "absolute", cwd: "", in: "/etc//passwd", rel: "/etc/passwd", outside: true},
		{name: "tilde", cwd: "", in: "~/.ssh", rel: "~/.ssh", outside: true},
		{name: "variable", cwd: "", in: "$HOME/x", rel: "$HOME/x", outside: true},
		{name: "cwd outside", cwd: "../x", in: "a", rel: "a", outside: true},
		{name: "cwd absolute", cwd: "/tmp", in: "a", rel: "a", outside: true},
		{name: "sneaky clean", cwd: "", in: "a/../../b", rel: "a/../../b", outside: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rel, outside := DefaultResolver(tc.cwd)(tc.in)
			if rel != tc.rel || outside != tc.outside {
				t.Errorf("= %q, %v; want %q, %v", rel, outside, tc.rel, tc.outside)
			}
		})
	}
}

// TestConcurrent guards against shared state between plans (run with -race).
func TestConcurrent(t *testing.T) {
	scripts := []string{`echo "a\$b" c\ d <<EOF > out` + "\nx\\$y\nEOF\n", `sudo bash -c 'rm x' 2>/dev/null`}
	done := make(chan error)
	for i := range 8 {
		go func() {
			var err error
			for range 50 {
				var got *policy.Command
				if got, err = ParseScript(scripts[i%2], "bash", "", nil); err == nil && len(got.Commands) == 0 {
					err = errors.New("no commands")
				}
				if err != nil {
					break
				}
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
