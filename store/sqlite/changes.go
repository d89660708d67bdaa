package sqlite

import (
	"context"
	"errors"
	"sync"
)

// changeBuffer is how many ids a subscriber may lag behind before it starts
// losing them. Losing is allowed (store.Changes is best effort and waiters
// keep a safety poll); blocking a writer on a slow reader is not.
const changeBuffer = 256

var errClosed = errors.New("sqlite: store closed")

// hub fans changed action ids out to the subscribers of this handle. It is
// in-process only: a second handle on the same file, or another process,
// does not see these ids (run PostgreSQL for several replicas).
type hub struct {
	mu     sync.Mutex
	subs   map[chan string]struct{}
	closed bool
}

func newHub() *hub { return &hub{subs: make(map[chan string]struct{})} }

// subscribe registers a channel that is closed when ctx ends or the hub
// closes. Channels are only closed under mu, the same lock publish holds
// while sending, so a send can never hit a closed channel.
func (h *hub) subscribe(ctx context.Context) (<-chan string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ch := make(chan string, changeBuffer)
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, errClosed
	}
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	context.AfterFunc(ctx, func() { h.drop(ch) })
	return ch, nil
}

func (h *hub) drop(ch chan string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[ch]; ok {
		delete(h.subs, ch)
		close(ch)
	}
}

// publish never blocks: a full subscriber loses the id.
func (h *hub) publish(ids ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		for _, id := range ids {
			select {
			case ch <- id:
			default:
			}
		}
	}
}

// close ends every subscription, so that nobody waits on a store that is
// gone.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for ch := range h.subs {
		delete(h.subs, ch)
		close(ch)
	}
}

// Subscribe implements store.Changes for this handle's own writes.
func (s *Store) Subscribe(ctx context.Context) (<-chan string, error) {
	return s.hub.subscribe(ctx)
}
