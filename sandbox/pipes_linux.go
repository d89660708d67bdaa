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
//
// They are created when the launcher is spawned, which for a pooled
// launcher is long before the command exists: until the command's run
// attaches a capture (drain) and feeds stdin (feed), nothing is in them.
// os.Pipe sets close-on-exec on both ends, so no other child of the server
// (another launcher among them) inherits the server's ends.

// newPipe returns a pipe whose child end (the read end for stdin, the write
// end for output) belongs to the sandbox identity.
func newPipe(id identity, childReads bool) (r, w *os.File, err error) {
	r, w, err = os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	if id.root {
		child := w
		if childReads {
			child = r
		}
		if err := child.Chown(int(id.uid), int(id.gid)); err != nil {
			r.Close()
			w.Close()
			return nil, nil, err
		}
	}
	return r, w, nil
}

// drain copies one captured stream from the server's read end.
type drain struct {
	r    *os.File
	done chan struct{}
}

func startDrain(r *os.File, dst io.Writer) *drain {
	d := &drain{r: r, done: make(chan struct{})}
	go func() {
		defer close(d.done)
		_, _ = io.Copy(dst, r)
	}()
	return d
}

// finish waits for EOF, but at most grace: a descendant that escaped the
// kill (possible only without a PID namespace) may hold the pipe open
// forever, and Run must return.
func (d *drain) finish(grace time.Duration) {
	select {
	case <-d.done:
	case <-time.After(grace):
		_ = d.r.SetReadDeadline(time.Now())
		<-d.done
	}
	d.r.Close()
}

// feed writes data to the command's stdin and closes the write end when
// all is written or the command stops reading.
func feed(w *os.File, data []byte) {
	go func() {
		_, _ = w.Write(data) // EPIPE when the command exits without reading: fine
		w.Close()
	}()
}
