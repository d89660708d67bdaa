package policy

import (
	"context"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
	"go.uber.org/zap"
)

// debounce is how long a watched directory must stay quiet before it is
// reloaded: an editor's save or a `git pull` touches many files in a burst,
// and one reload should see them all.
const debounce = 300 * time.Millisecond

// Run keeps the engine current until ctx ends: a bundle is fetched every
// poll interval; a directory with Watch set is reloaded after file changes
// settle, and re-scanned every Rescan in case an event was lost. Reload
// errors are logged and kept for Status; Run itself returns only ctx's
// error. Run is optional: Reload can be called at any time, concurrently
// (the SIGHUP handler, the Reload RPC).
func (e *Engine) Run(ctx context.Context) error {
	switch {
	case e.conf.Bundle != nil:
		e.poll(ctx, e.conf.Bundle.PollInterval, nil)
	case e.conf.Watch:
		e.watch(ctx)
	default:
		<-ctx.Done()
	}
	return ctx.Err()
}

// poll reloads every interval and whenever events fires.
func (e *Engine) poll(ctx context.Context, interval time.Duration, events <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-events:
		}
		_ = e.Reload(ctx) // logged and kept for Status by Reload
	}
}

// watch turns file events under the policy directory into debounced
// reloads. Without a working watcher (inotify limits) it falls back to the
// re-scan alone, loudly.
func (e *Engine) watch(ctx context.Context) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		e.log.Warn("policy watch unavailable; re-scanning only",
			zap.String("policy_dir", e.conf.Dir), zap.Duration("rescan", e.conf.Rescan), zap.Error(err))
		e.poll(ctx, e.conf.Rescan, nil)
		return
	}
	defer w.Close()
	e.addTree(w, e.conf.Dir)
	// A change made between New and now raised no event: look once.
	settled := make(chan struct{}, 1)
	settled <- struct{}{}
	if e.watching != nil {
		close(e.watching)
	}
	go e.poll(ctx, e.conf.Rescan, settled)
	timer := time.NewTimer(debounce)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			// New directories are watched too (a ConfigMap update swaps a
			// hidden directory in; a new environment's data appears).
			if ev.Has(fsnotify.Create) {
				e.addTree(w, ev.Name)
			}
			timer.Reset(debounce)
		case err, ok := <-w.Errors:
			if !ok {
				return
			}
			// A lost event is covered by the next re-scan; reload now too.
			e.log.Warn("policy watch error", zap.String("policy_dir", e.conf.Dir), zap.Error(err))
			timer.Reset(debounce)
		case <-timer.C:
			select {
			case settled <- struct{}{}:
			default: // a reload is already queued and will see this change
			}
		}
	}
}

// addTree watches dir and every directory below it, hidden ones included
// (a ConfigMap's files live in a hidden directory behind symlinks).
func (e *Engine) addTree(w *fsnotify.Watcher, dir string) {
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if d.Name() == ".git" {
			return filepath.SkipDir
		}
		if err := w.Add(p); err != nil && !strings.Contains(err.Error(), "no such file") {
			e.log.Warn("policy watch: cannot watch directory", zap.String("dir", p), zap.Error(err))
		}
		return nil
	})
}
