package postgres

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// channel is the NOTIFY channel that carries changed action ids (hex).
const channel = "airlock_actions"

// changeBuffer is how many ids a subscriber may lag behind before it loses
// them; a writer or the listener never blocks on a slow subscriber.
const changeBuffer = 256

// Reconnection back-off of the listener, and how long the first Subscribe
// waits for it to be listening.
const (
	minBackoff  = 50 * time.Millisecond
	maxBackoff  = 5 * time.Second
	listenWait  = 15 * time.Second
	connectWait = 10 * time.Second
)

var errClosed = errors.New("postgres: store closed")

// Subscribe implements store.Changes for writes from every replica. The
// first call starts one listening connection per Store and returns once it
// is listening, so a change committed after Subscribe returns is
// delivered. If that connection drops, it reconnects with back-off; ids
// announced while it was down are lost (delivery is best effort).
func (s *Store) Subscribe(ctx context.Context) (<-chan string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.lis.waitListening(ctx); err != nil {
		return nil, err
	}
	return s.hub.subscribe(ctx)
}

// listener holds the LISTEN connection and feeds the hub.
type listener struct {
	cfg      *pgx.ConnConfig
	hub      *hub
	onListen func() // test hook: called after each successful LISTEN

	startOnce sync.Once
	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup

	mu        sync.Mutex
	listening chan struct{} // closed once the first LISTEN succeeded
	lastErr   error
}

func newListener(cfg *pgx.ConnConfig, h *hub, onListen func()) *listener {
	ctx, cancel := context.WithCancel(context.Background())
	return &listener{cfg: cfg, hub: h, onListen: onListen, ctx: ctx, cancel: cancel,
		listening: make(chan struct{})}
}

// waitListening starts the loop on first use and waits until it has
// listened once.
func (l *listener) waitListening(ctx context.Context) error {
	l.startOnce.Do(func() {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			l.run()
		}()
	})
	wait := time.NewTimer(listenWait)
	defer wait.Stop()
	select {
	case <-l.listening:
		return nil
	case <-l.ctx.Done():
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	case <-wait.C:
		l.mu.Lock()
		defer l.mu.Unlock()
		return fmt.Errorf("postgres: subscribe: not listening after %v: %w", listenWait, l.lastErr)
	}
}

func (l *listener) run() {
	backoff := minBackoff
	for {
		listened, err := l.session()
		if l.ctx.Err() != nil {
			return
		}
		l.mu.Lock()
		l.lastErr = err
		l.mu.Unlock()
		if listened {
			backoff = minBackoff
		}
		select {
		case <-l.ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// session connects, listens and forwards notifications until the
// connection fails or the store closes. listened reports whether it got as
// far as listening (which resets the back-off).
func (l *listener) session() (listened bool, err error) {
	cctx, cancel := context.WithTimeout(l.ctx, connectWait)
	conn, err := pgx.ConnectConfig(cctx, l.cfg)
	cancel()
	if err != nil {
		return false, fmt.Errorf("postgres: listener connect: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(l.ctx, "LISTEN "+channel); err != nil {
		return false, fmt.Errorf("postgres: listen: %w", err)
	}
	l.mu.Lock()
	select {
	case <-l.listening:
	default:
		close(l.listening)
	}
	l.mu.Unlock()
	if l.onListen != nil {
		l.onListen()
	}
	for {
		n, err := conn.WaitForNotification(l.ctx)
		if err != nil {
			return true, fmt.Errorf("postgres: wait for notification: %w", err)
		}
		if n.Channel != channel {
			continue
		}
		id, err := hex.DecodeString(n.Payload)
		if err != nil || len(id) == 0 {
			continue // not ours, or an id too long to announce
		}
		l.hub.publish(string(id))
	}
}

// stop ends the loop and waits for it, so that no goroutine or connection
// outlives Close. Taking startOnce here also means a Subscribe racing Close
// can no longer start the loop.
func (l *listener) stop() {
	l.cancel()
	l.startOnce.Do(func() {})
	l.wg.Wait()
}

// hub fans ids out to this Store's subscribers.
type hub struct {
	mu     sync.Mutex
	subs   map[chan string]struct{}
	closed bool
}

func newHub() *hub { return &hub{subs: make(map[chan string]struct{})} }

// subscribe registers a channel closed when ctx ends or the hub closes.
// Channels are closed only under mu, which publish holds while sending.
func (h *hub) subscribe(ctx context.Context) (<-chan string, error) {
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
func (h *hub) publish(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- id:
		default:
		}
	}
}

func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for ch := range h.subs {
		delete(h.subs, ch)
		close(ch)
	}
}
