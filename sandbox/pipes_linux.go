package sandbox

import (
	"io"
	"os"
	"time"
)

// Output and input pipes are created here rather than by os/exec so that a
// root server can hand them to the sandbox identity: a pipe inode belongs
// to its creator with mode 0600, and a command reopening /dev/stdout
// (/proc/self/fd/1) as a different uid would get EACCES.

// outPipe is one captured stream.
type outPipe struct {
	r, w *os.File
	done chan struct{}
}

func newOutPipe(id identity, dst io.Writer) (*outPipe, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	if id.root {
		if err := w.Chown(int(id.uid), int(id.gid)); err != nil {
			r.Close()
			w.Close()
			return nil, err
		}
	}
	p := &outPipe{r: r, w: w, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		_, _ = io.Copy(dst, r)
	}()
	return p, nil
}

// finish waits for EOF, but at most grace: a descendant that escaped the
// kill (possible only without a PID namespace) may hold the pipe open
// forever, and Run must return.
func (p *outPipe) finish(grace time.Duration) {
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = p.r.SetReadDeadline(time.Now())
		<-p.done
	}
	p.r.Close()
}

// newInPipe feeds data to the command's stdin; the write end is closed
// when all is written or the command stops reading.
func newInPipe(id identity, data []byte) (*os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	if id.root {
		if err := r.Chown(int(id.uid), int(id.gid)); err != nil {
			r.Close()
			w.Close()
			return nil, err
		}
	}
	go func() {
		_, _ = w.Write(data) // EPIPE when the command exits without reading: fine
		w.Close()
	}()
	return r, nil
}
