package files

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
)

func TestClean(t *testing.T) {
	tests := []struct {
		name, in, want string
		code           Code
	}{
		{name: "plain", in: "a/b.go", want: "a/b.go"},
		{name: "root", in: ".", want: "."},
		{name: "dot slash", in: "./a//b/", want: "a/b"},
		{name: "inner dotdot stays inside", in: "a/b/../c", want: "a/c"},
		{name: "dotdot to root", in: "a/..", want: "."},
		{name: "unicode", in: "docs/ünïcode.md", want: "docs/ünïcode.md"},
		{name: "empty", in: "", code: InvalidPath},
		{name: "dotdot", in: "..", code: Escape},
		{name: "climb then return", in: "a/../../ws/x", code: Escape},
		{name: "absolute", in: "/etc/passwd", code: Escape},
		{name: "nul", in: "a\x00b", code: InvalidPath},
		{name: "newline", in: "a\nb", code: InvalidPath},
		{name: "escape char", in: "a\x1b[31mb", code: InvalidPath},
		{name: "del char", in: "a\x7f", code: InvalidPath},
		{name: "c1 control", in: "a\u0085b", code: InvalidPath},
		{name: "bidi override", in: "invoice\u202egpj.exe", code: InvalidPath},
		{name: "backslash", in: `a\..\..\x`, code: InvalidPath},
		{name: "invalid utf8", in: "a\xffb", code: InvalidPath},
		{name: "4096 bytes ok", in: strings.Repeat("abcdefg/", 512)[:4095] + "z", want: strings.Repeat("abcdefg/", 512)[:4095] + "z"},
		{name: "4097 bytes", in: strings.Repeat("a/", 2048) + "b", code: InvalidPath},
		{name: "segment 255 ok", in: strings.Repeat("x", 255), want: strings.Repeat("x", 255)},
		{name: "segment 256", in: strings.Repeat("x", 256), code: InvalidPath},
	}
	e := newEnv(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.r.Clean(tc.in)
			wantCode(t, err, tc.code)
			if got != tc.want {
				t.Fatalf("Clean(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestStat(t *testing.T) {
	e := newEnv(t)
	e.write(t, "f.txt", "hello")
	e.write(t, "d/x", "")
	e.symlink(t, "f.txt", "link")
	tests := []struct {
		name string
		path string
		want Info
		code Code
	}{
		{name: "file", path: "f.txt", want: Info{Path: "f.txt", Exists: true, IsRegular: true, Size: 5, Mode: 0o644, Nlink: 1}},
		{name: "dir", path: "d", want: Info{Path: "d", Exists: true, IsDir: true}},
		{name: "symlink not followed", path: "link", want: Info{Path: "link", Exists: true, IsSymlink: true}},
		{name: "missing", path: "nope", want: Info{Path: "nope"}},
		{name: "parent is a file", path: "f.txt/x", want: Info{Path: "f.txt/x"}},
		{name: "escape", path: "../x", code: Escape},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.r.Stat(tc.path)
			wantCode(t, err, tc.code)
			if tc.want.IsDir || tc.want.IsSymlink { // sizes and modes of these vary by file system
				got.Size, got.Mode, got.Nlink = 0, 0, 0
			}
			if got != tc.want {
				t.Fatalf("Stat = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestReadFile(t *testing.T) {
	e := newEnv(t)
	e.write(t, "f.txt", "hello\n")
	e.write(t, "sub/g.txt", "inner")
	e.symlink(t, "sub/g.txt", "in-link")
	if err := syscall.Mkfifo(filepath.Join(e.ws, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	small, err := Open(e.ws, Limits{MaxFileBytes: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer small.Close()
	tests := []struct {
		name, path, want string
		r                *Root
		symlink          bool
		code             Code
	}{
		{name: "file", path: "f.txt", want: "hello\n"},
		{name: "symlink inside", path: "in-link", want: "inner", symlink: true},
		{name: "missing", path: "nope", code: NotFound},
		{name: "directory", path: "sub", code: WrongType},
		{name: "fifo does not block", path: "fifo", code: WrongType},
		{name: "too large", path: "f.txt", r: small, code: TooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.r
			if tc.r != nil {
				r = tc.r
			}
			b, info, err := r.ReadFile(tc.path)
			wantCode(t, err, tc.code)
			if string(b) != tc.want {
				t.Fatalf("content %q, want %q", b, tc.want)
			}
			if err == nil && (info.Size != int64(len(tc.want)) || info.IsSymlink != tc.symlink || !info.IsRegular) {
				t.Fatalf("info %+v", info)
			}
		})
	}
}

// TestStatRead holds StatRead to Stat's facts, with the content of regular files only and read failures kept
// apart from stat failures.
func TestStatRead(t *testing.T) {
	e := newEnv(t)
	e.write(t, "f.txt", "hello\n")
	e.write(t, "big.txt", "0123456789")
	e.write(t, "d/x", "")
	e.symlink(t, "f.txt", "link")
	if err := syscall.Mkfifo(filepath.Join(e.ws, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	small, err := Open(e.ws, Limits{MaxFileBytes: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer small.Close()
	tests := []struct {
		name, path, content string
		exists, regular     bool
		readCode, code      Code
	}{
		{name: "file", path: "f.txt", content: "hello\n", exists: true, regular: true},
		{name: "too large is a read error", path: "big.txt", exists: true, regular: true, readCode: TooLarge},
		{name: "symlink not read", path: "link", exists: true},
		{name: "directory not read", path: "d", exists: true},
		{name: "fifo not opened", path: "fifo", exists: true},
		{name: "missing", path: "nope"},
		{name: "escape", path: "../f.txt", code: Escape},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info, content, readErr, err := small.StatRead(tc.path)
			wantCode(t, err, tc.code)
			wantCode(t, readErr, tc.readCode)
			if string(content) != tc.content || info.Exists != tc.exists || info.IsRegular != tc.regular {
				t.Fatalf("StatRead = %+v, %q", info, content)
			}
			if err == nil {
				st, _ := small.Stat(tc.path)
				if st != info {
					t.Fatalf("StatRead info %+v, Stat %+v", info, st)
				}
			}
		})
	}
}

func TestRead(t *testing.T) {
	e := newEnv(t)
	e.write(t, "f.txt", "0123456789")
	whole := SHA256Hex([]byte("0123456789"))
	tests := []struct {
		name          string
		offset, limit int64
		want          string
		truncated     bool
		code          Code
	}{
		{name: "all", want: "0123456789"},
		{name: "head", limit: 4, want: "0123", truncated: true},
		{name: "middle", offset: 3, limit: 4, want: "3456", truncated: true},
		{name: "tail", offset: 7, limit: 100, want: "789"},
		{name: "past end", offset: 50, want: ""},
		{name: "negative offset", offset: -1, code: InvalidArgument},
		{name: "negative limit", limit: -1, code: InvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := e.r.Read("f.txt", tc.offset, tc.limit)
			wantCode(t, err, tc.code)
			if err != nil {
				return
			}
			if string(res.Content) != tc.want || res.Truncated != tc.truncated || res.Size != 10 || res.SHA256 != whole {
				t.Fatalf("got %+v", res)
			}
		})
	}
	t.Run("limit clamped to MaxReadBytes", func(t *testing.T) {
		r, err := Open(e.ws, Limits{MaxReadBytes: 2})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		res, err := r.Read("f.txt", 0, 100)
		if err != nil || string(res.Content) != "01" || !res.Truncated {
			t.Fatalf("got %+v, %v", res, err)
		}
	})
}

func TestWrite(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(t *testing.T, e *env)
		path     string
		opts     WriteOptions
		code     Code
		created  bool
		wantMode os.FileMode
	}{
		{name: "new file with parents", path: "a/b/c.txt", created: true, wantMode: 0o644},
		{name: "overwrite keeps mode", setup: func(t *testing.T, e *env) {
			e.write(t, "x.sh", "old")
			if err := os.Chmod(filepath.Join(e.ws, "x.sh"), 0o750); err != nil {
				t.Fatal(err)
			}
		}, path: "x.sh", wantMode: 0o750},
		{name: "explicit mode", path: "m", opts: WriteOptions{Mode: 0o600}, created: true, wantMode: 0o600},
		{name: "expected hash matches", setup: func(t *testing.T, e *env) { e.write(t, "h", "old") },
			path: "h", opts: WriteOptions{ExpectedSHA256: SHA256Hex([]byte("old"))}, wantMode: 0o644},
		{name: "expected hash uppercase", setup: func(t *testing.T, e *env) { e.write(t, "h", "old") },
			path: "h", opts: WriteOptions{ExpectedSHA256: strings.ToUpper(SHA256Hex([]byte("old")))}, wantMode: 0o644},
		{name: "expected hash differs", setup: func(t *testing.T, e *env) { e.write(t, "h", "other") },
			path: "h", opts: WriteOptions{ExpectedSHA256: SHA256Hex([]byte("old"))}, code: Changed},
		{name: "expected hash but file gone", path: "h", opts: WriteOptions{ExpectedSHA256: SHA256Hex([]byte("old"))}, code: Changed},
		{name: "create only exists", setup: func(t *testing.T, e *env) { e.write(t, "c", "") },
			path: "c", opts: WriteOptions{CreateOnly: true}, code: Exists},
		{name: "expect absent but exists", setup: func(t *testing.T, e *env) { e.write(t, "c", "") },
			path: "c", opts: WriteOptions{ExpectAbsent: true}, code: Changed},
		{name: "create only new", path: "c", opts: WriteOptions{CreateOnly: true}, created: true, wantMode: 0o644},
		{name: "symlink inside refused", setup: func(t *testing.T, e *env) {
			e.write(t, "target", "t")
			e.symlink(t, "target", "link")
		}, path: "link", code: WrongType},
		{name: "parent is a file", setup: func(t *testing.T, e *env) { e.write(t, "file", "") }, path: "file/x", code: WrongType},
		{name: "root", path: ".", code: WrongType},
		{name: "too large", path: "big", code: TooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if tc.setup != nil {
				tc.setup(t, e)
			}
			content := []byte("new content\n")
			if tc.code == TooLarge {
				content = make([]byte, DefaultMaxFileBytes+1)
			}
			res, err := e.r.Write(tc.path, content, tc.opts)
			wantCode(t, err, tc.code)
			e.assertSafeMessage(t, err)
			assertNoTemps(t, e.ws)
			if err != nil {
				return
			}
			if res.Created != tc.created || res.Size != int64(len(content)) || res.SHA256 != SHA256Hex(content) {
				t.Fatalf("result %+v", res)
			}
			if got := e.read(t, tc.path); got != string(content) {
				t.Fatalf("content %q", got)
			}
			fi, err := os.Stat(filepath.Join(e.ws, tc.path))
			if err != nil || fi.Mode().Perm() != tc.wantMode {
				t.Fatalf("mode %v, want %v (%v)", fi.Mode().Perm(), tc.wantMode, err)
			}
		})
	}
}

// assertNoTemps fails if a staged or backup file was left behind.
func assertNoTemps(t *testing.T, ws string) {
	t.Helper()
	_ = filepath.WalkDir(ws, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".airlock-") {
			t.Fatalf("leftover %s", p)
		}
		return nil
	})
}

func TestWriteConcurrent(t *testing.T) {
	e := newEnv(t)
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := range 32 {
		wg.Go(func() {
			_, err := e.r.Write("shared.txt", []byte(strings.Repeat("x", i)), WriteOptions{})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := e.read(t, "shared.txt"); strings.Trim(got, "x") != "" {
		t.Fatalf("torn write: %q", got)
	}
	assertNoTemps(t, e.ws)
}

func TestDelete(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(t *testing.T, e *env)
		path     string
		expected string
		code     Code
		gone     bool
	}{
		{name: "file", setup: func(t *testing.T, e *env) { e.write(t, "f", "x") }, path: "f", gone: true},
		{name: "file with hash", setup: func(t *testing.T, e *env) { e.write(t, "f", "x") }, path: "f",
			expected: SHA256Hex([]byte("x")), gone: true},
		{name: "file with stale hash", setup: func(t *testing.T, e *env) { e.write(t, "f", "y") }, path: "f",
			expected: SHA256Hex([]byte("x")), code: Changed},
		{name: "symlink removes link only", setup: func(t *testing.T, e *env) {
			e.write(t, "target", "t")
			e.symlink(t, "target", "link")
		}, path: "link", gone: true},
		{name: "symlink with hash", setup: func(t *testing.T, e *env) { e.symlink(t, "target", "link") }, path: "link",
			expected: SHA256Hex([]byte("t")), code: Changed},
		{name: "empty dir", setup: func(t *testing.T, e *env) {
			if err := os.Mkdir(filepath.Join(e.ws, "d"), 0o755); err != nil {
				t.Fatal(err)
			}
		}, path: "d", gone: true},
		{name: "non-empty dir", setup: func(t *testing.T, e *env) { e.write(t, "d/f", "") }, path: "d", code: NotEmpty},
		{name: "missing", path: "nope", code: NotFound, gone: true},
		{name: "missing with hash", path: "nope", expected: SHA256Hex(nil), code: Changed, gone: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if tc.setup != nil {
				tc.setup(t, e)
			}
			err := e.r.Delete(tc.path, tc.expected)
			wantCode(t, err, tc.code)
			if e.exists(tc.path) == tc.gone {
				t.Fatalf("exists after delete = %v", !tc.gone)
			}
			if tc.name == "symlink removes link only" && e.read(t, "target") != "t" {
				t.Fatal("link target touched")
			}
		})
	}
}

func TestMove(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(t *testing.T, e *env)
		from, to  string
		overwrite bool
		code      Code
	}{
		{name: "rename", from: "a", to: "b"},
		{name: "into new dirs", from: "a", to: "x/y/z"},
		{name: "exists no overwrite", setup: func(t *testing.T, e *env) { e.write(t, "b", "B") }, from: "a", to: "b", code: Exists},
		{name: "exists overwrite", setup: func(t *testing.T, e *env) { e.write(t, "b", "B") }, from: "a", to: "b", overwrite: true},
		{name: "onto directory", setup: func(t *testing.T, e *env) { e.write(t, "d/f", "") }, from: "a", to: "d", overwrite: true, code: WrongType},
		{name: "dir into itself", setup: func(t *testing.T, e *env) { e.write(t, "d/f", "") }, from: "d", to: "d/sub", code: InvalidArgument},
		{name: "same", from: "a", to: "a", code: InvalidArgument},
		{name: "missing", from: "nope", to: "b", code: NotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.write(t, "a", "A")
			if tc.setup != nil {
				tc.setup(t, e)
			}
			err := e.r.Move(tc.from, tc.to, tc.overwrite)
			wantCode(t, err, tc.code)
			if err != nil {
				return
			}
			if e.exists(tc.from) || e.read(t, tc.to) != "A" {
				t.Fatal("move did not happen")
			}
		})
	}
}

func TestMakeDir(t *testing.T) {
	e := newEnv(t)
	e.write(t, "file", "")
	tests := []struct {
		name    string
		path    string
		created bool
		code    Code
	}{
		{name: "new nested", path: "a/b/c", created: true},
		{name: "again", path: "a/b/c"},
		{name: "root", path: "."},
		{name: "file in the way", path: "file", code: WrongType},
		{name: "under a file", path: "file/x", code: WrongType},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			created, err := e.r.MakeDir(tc.path)
			wantCode(t, err, tc.code)
			if created != tc.created {
				t.Fatalf("created = %v", created)
			}
		})
	}
}

func TestList(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"a.txt", "b/c.txt", "b/d/e.txt", "b-x", "z/1", "z/2", "z/3"} {
		e.write(t, p, "12345")
	}
	e.symlink(t, "b", "lnk")
	paths := func(es []Entry) []string {
		var out []string
		for _, x := range es {
			out = append(out, x.Path+":"+x.Type)
		}
		return out
	}
	tests := []struct {
		name      string
		path      string
		recursive bool
		depth, n  int
		want      []string
		truncated bool
		code      Code
	}{
		{name: "top", path: ".", want: []string{"a.txt:file", "b:dir", "b-x:file", "lnk:symlink", "z:dir"}},
		{name: "recursive", path: ".", recursive: true, want: []string{"a.txt:file", "b:dir", "b-x:file",
			"b/c.txt:file", "b/d:dir", "b/d/e.txt:file", "lnk:symlink", "z:dir", "z/1:file", "z/2:file", "z/3:file"}},
		{name: "depth 2", path: "b", recursive: true, depth: 1, want: []string{"b/c.txt:file", "b/d:dir"}},
		{name: "subdir", path: "b/", recursive: true, want: []string{"b/c.txt:file", "b/d:dir", "b/d/e.txt:file"}},
		{name: "truncated", path: "z", n: 2, truncated: true},
		{name: "exactly full", path: "z", n: 3, want: []string{"z/1:file", "z/2:file", "z/3:file"}},
		{name: "symlink", path: "lnk", code: WrongType},
		{name: "file", path: "a.txt", code: WrongType},
		{name: "missing", path: "nope", code: NotFound},
		{name: "negative", path: ".", n: -1, code: InvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, truncated, err := e.r.List(tc.path, tc.recursive, tc.depth, tc.n)
			wantCode(t, err, tc.code)
			if truncated != tc.truncated {
				t.Fatalf("truncated = %v", truncated)
			}
			if tc.truncated {
				if len(got) != tc.n || !slices.IsSortedFunc(got, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) }) {
					t.Fatalf("got %v", paths(got))
				}
				return
			}
			if !slices.Equal(paths(got), tc.want) {
				t.Fatalf("got %v\nwant %v", paths(got), tc.want)
			}
			for _, x := range got {
				if x.Type == "file" && x.Size != 5 {
					t.Fatalf("size of %s = %d", x.Path, x.Size)
				}
			}
		})
	}
}
