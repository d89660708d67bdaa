package sandbox

import (
	"io"
	"sync"
)

// capture keeps the first limit bytes written, counts the rest, and
// forwards what it keeps to an optional live writer. It never returns an
// error: refusing a write would block or kill the command on a full pipe,
// and the command's output is not the server's problem.
type capture struct {
	mu    sync.Mutex
	limit int64
	buf   []byte
	total int64
	live  io.Writer
}

func newCapture(limit int64, live io.Writer) *capture {
	return &capture{limit: limit, live: live}
}

func (c *capture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total += int64(len(p))
	room := c.limit - int64(len(c.buf))
	if room > 0 {
		keep := p
		if int64(len(keep)) > room {
			keep = keep[:room]
		}
		c.buf = append(c.buf, keep...)
		if c.live != nil {
			if _, err := c.live.Write(keep); err != nil {
				c.live = nil // a broken client stream must not stop the capture
			}
		}
	}
	return len(p), nil
}

// result returns the kept bytes, the total and whether output was dropped.
func (c *capture) result() ([]byte, int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]byte(nil), c.buf...), c.total, c.total > int64(len(c.buf))
}
