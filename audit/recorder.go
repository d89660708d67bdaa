package audit

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/airlock-dev/airlock/store"
)

// ErrClosed is returned by Record after Close.
var ErrClosed = errors.New("audit: recorder closed")

// Recorder assigns each event its place in the hash chain, stores it and
// logs it. Concurrent Record calls are group-committed: one writer
// goroutine gathers whatever is queued into one AppendAudit transaction, so
// many events share one fsync. It is safe for concurrent use.
type Recorder struct {
	st            store.Audit // nil: log only
	log           *zap.Logger
	now           func() time.Time
	maxBatch      int
	appendTimeout time.Duration
	maxRetries    int // immediate retries on a lost head race before backing off

	reqs chan *request

	// mu guards closed and makes Close wait for senders that already
	// passed the closed check, so reqs is never sent on after close.
	mu       sync.RWMutex
	closed   bool
	finished chan struct{}

	// headMu guards seq and hash, otherwise owned by the writer.
	headMu    sync.Mutex
	seq       int64
	hash      string
	headStale bool // writer only: re-read the head before the next batch
}

// request is one pending event. seq, time and hash are written by the
// writer before it sends on done, so the caller reads them after receiving.
type request struct {
	ctx  context.Context
	rest []byte
	ev   *Event
	body []byte
	seq  int64
	time time.Time
	hash string
	done chan error
}

type config struct {
	now           func() time.Time
	maxBatch      int
	appendTimeout time.Duration
}

// Option configures a Recorder.
type Option func(*config)

// WithClock replaces time.Now for event times. For tests.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}

// WithMaxBatch bounds how many events share one store transaction.
// Default 256: large enough that an fsync is amortised over many events,
// small enough that one slow batch does not hold many callers.
func WithMaxBatch(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.maxBatch = n
		}
	}
}

// WithAppendTimeout bounds one store append. Record waits for its batch's
// commit regardless of the caller's context (so that a returned nil always
// means stored and logged), and this is what keeps that wait finite.
// Default 10s.
func WithAppendTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.appendTimeout = d
		}
	}
}

// NewRecorder reads the chain head from st and starts the writer. st may be
// nil: events are then only logged (and chained in memory), which tests and
// benchmarks use as a null sink.
func NewRecorder(ctx context.Context, st store.Audit, log *zap.Logger, opts ...Option) (*Recorder, error) {
	cfg := config{now: time.Now, maxBatch: 256, appendTimeout: 10 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	if log == nil {
		log = zap.NewNop()
	}
	r := &Recorder{
		st:            st,
		log:           log,
		now:           cfg.now,
		maxBatch:      cfg.maxBatch,
		appendTimeout: cfg.appendTimeout,
		maxRetries:    3,
		reqs:          make(chan *request, cfg.maxBatch),
		finished:      make(chan struct{}),
		hash:          GenesisHash,
	}
	if st != nil {
		if err := r.loadHead(ctx); err != nil {
			return nil, err
		}
	}
	go r.run()
	return r, nil
}

// Head returns the sequence number and hash of the newest recorded event
// (0 and GenesisHash when none).
func (r *Recorder) Head() (seq int64, hash string) {
	r.headMu.Lock()
	defer r.headMu.Unlock()
	return r.seq, r.hash
}

func (r *Recorder) loadHead(ctx context.Context) error {
	last, err := r.st.LastAudit(ctx)
	seq, hash := int64(0), GenesisHash
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return fmt.Errorf("audit: read chain head: %w", err)
	case !validHash(last.Hash) || last.Seq < 1:
		// Chaining onto garbage would hide where the damage is.
		return fmt.Errorf("audit: chain head seq %d has malformed hash %q; run audit verify", last.Seq, last.Hash)
	default:
		seq, hash = last.Seq, last.Hash
	}
	r.headMu.Lock()
	r.seq, r.hash = seq, hash
	r.headMu.Unlock()
	return nil
}

// Record stores and logs ev. Seq and Time are assigned here (values in ev
// are ignored); Intent and ErrorMessage are capped. It returns only after
// the store has committed the event (or failed), so a nil error means the
// event is durable; on error nothing of this event is stored and the
// caller must fail closed. ctx bounds only the wait for a place in a batch.
func (r *Recorder) Record(ctx context.Context, ev Event) error {
	rest, err := encodeRest(&ev)
	if err != nil {
		return err
	}
	q := &request{ctx: ctx, rest: rest, ev: &ev, done: make(chan error, 1)}
	r.mu.RLock()
	if r.closed {
		r.mu.RUnlock()
		return ErrClosed
	}
	select {
	case r.reqs <- q:
	case <-ctx.Done():
		r.mu.RUnlock()
		return fmt.Errorf("audit: record %s: %w", ev.Type, ctx.Err())
	}
	r.mu.RUnlock()
	if err := <-q.done; err != nil {
		r.log.Error("audit not recorded", append(eventFields(&ev, ""), zap.Error(err))...)
		return err
	}
	ev.Seq, ev.Time = q.seq, q.time
	r.log.Info("audit", eventFields(&ev, q.hash)...)
	return nil
}

// Close stops accepting events, waits for queued ones to be committed and
// stops the writer. It does not close the store.
func (r *Recorder) Close() error {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.reqs)
	}
	r.mu.Unlock()
	<-r.finished
	return nil
}

// run is the single writer: it takes one queued request, adds whatever
// else is already queued, and commits them together.
func (r *Recorder) run() {
	defer close(r.finished)
	batch := make([]*request, 0, r.maxBatch)
	for q := range r.reqs {
		batch = append(batch[:0], q)
	fill:
		for len(batch) < r.maxBatch {
			select {
			case q, ok := <-r.reqs:
				if !ok {
					break fill
				}
				batch = append(batch, q)
			default:
				break fill
			}
		}
		r.commit(batch)
		clear(batch)
	}
}

func (r *Recorder) commit(batch []*request) {
	live := make([]*request, 0, len(batch))
	for _, q := range batch {
		if err := q.ctx.Err(); err != nil {
			q.done <- fmt.Errorf("audit: record %s: %w", q.ev.Type, err)
			continue
		}
		live = append(live, q)
	}
	if len(live) == 0 {
		return
	}
	var err error
	if r.st == nil {
		seq, hash := r.Head()
		r.chain(live, seq, hash)
	} else {
		err = r.appendBatch(live)
	}
	if err == nil {
		r.advance(live)
	}
	for _, q := range live {
		q.done <- err
	}
}

// appendBatch chains live onto the head and appends it, re-reading the head
// and retrying when another writer (a second replica on a shared store)
// appended first.
func (r *Recorder) appendBatch(live []*request) error {
	recs := make([]store.AuditRecord, len(live))
	// Losing the race for the chain head to another replica is normal under
	// load: retry with jittered backoff until the append timeout, not a
	// fixed number of times, so one unlucky replica does not fail requests.
	deadline := time.Now().Add(r.appendTimeout)
	backoff := time.Millisecond
	var err error
	for attempt := 0; ; attempt++ {
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		err = r.tryAppend(ctx, live, recs)
		cancel()
		if err == nil {
			return nil
		}
		// The head may or may not have moved (a failed commit can be
		// ambiguous); read it again before the next batch either way.
		r.headStale = true
		if !errors.Is(err, store.ErrAuditSeq) || time.Now().Add(backoff).After(deadline) {
			break
		}
		if attempt >= r.maxRetries {
			time.Sleep(backoff/2 + rand.N(backoff)) // jitter de-synchronises racing replicas
			backoff = min(backoff*2, 100*time.Millisecond)
		}
	}
	return fmt.Errorf("audit: append %d events: %w", len(live), err)
}

func (r *Recorder) tryAppend(ctx context.Context, live []*request, recs []store.AuditRecord) error {
	if r.headStale {
		if err := r.loadHead(ctx); err != nil {
			return err
		}
		r.headStale = false
	}
	seq, hash := r.Head()
	r.chain(live, seq, hash)
	for i, q := range live {
		recs[i] = store.AuditRecord{
			Seq:      q.seq,
			Time:     q.time,
			ActionID: q.ev.ActionID,
			Type:     string(q.ev.Type),
			Body:     q.body,
			PrevHash: hash,
			Hash:     q.hash,
		}
		hash = q.hash
	}
	return r.st.AppendAudit(ctx, recs)
}

// chain assigns seq, time and hash to each request after (seq, hash).
func (r *Recorder) chain(live []*request, seq int64, hash string) {
	for _, q := range live {
		seq++
		q.seq = seq
		q.time = r.now().UTC()
		q.body = body(q.seq, q.time, q.rest)
		q.hash = Hash(hash, q.body)
		hash = q.hash
	}
}

func (r *Recorder) advance(live []*request) {
	last := live[len(live)-1]
	r.headMu.Lock()
	r.seq, r.hash = last.seq, last.hash
	r.headMu.Unlock()
}
