package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/airlock-dev/airlock/store"
)

// Filter selects events. Zero fields match everything.
type Filter struct {
	// Since keeps events at or after it; Until keeps events before it.
	Since, Until time.Time
	// Principal matches the requester or the voter.
	Principal string
	Workspace string
	// Effect matches events that carry one: action.decided, and the
	// outcome of an approved action (the effect of the policy's re-check).
	Effect   string
	Kind     string
	ActionID string
	Type     Type
}

// Match reports whether ev passes f.
func (f *Filter) Match(ev *Event) bool {
	switch {
	case !f.Since.IsZero() && ev.Time.Before(f.Since):
		return false
	case !f.Until.IsZero() && !ev.Time.Before(f.Until):
		return false
	case f.Principal != "" && ev.Principal != f.Principal && ev.Voter != f.Principal:
		return false
	case f.Workspace != "" && ev.Workspace != f.Workspace:
		return false
	case f.Effect != "" && ev.Effect != f.Effect:
		return false
	case f.Kind != "" && ev.Kind != f.Kind:
		return false
	case f.ActionID != "" && ev.ActionID != f.ActionID:
		return false
	case f.Type != "" && ev.Type != f.Type:
		return false
	}
	return true
}

// Match is one stored record that passed a filter, with its decoded event.
type Match struct {
	Record *store.AuditRecord
	Event  Event
}

// Page is one answer of Query.
type Page struct {
	Matches []Match
	// Next is the seq to continue from; 0 when the chain was read to its end.
	Next int64
}

// QueryLimits bound one Query call.
type QueryLimits struct {
	// Max is how many matches to return (at least 1).
	Max int
	// MaxScan is how many records to read before answering with what was
	// found so far: a selective filter over a long chain then costs the
	// caller more pages, not the server one unbounded scan. 0: no bound.
	MaxScan int
}

// Query reads records from seq from on and returns those matching f, at
// most lim.Max of them. A record whose body is not an event (a tampered
// store) is an error rather than skipped: a reader must not be shown a
// quietly filtered trail; Verify names the damage.
func Query(ctx context.Context, st store.Audit, from int64, f Filter, lim QueryLimits) (Page, error) {
	if from < 1 {
		from = 1
	}
	if lim.Max < 1 {
		lim.Max = 1
	}
	var (
		page    Page
		scanned int
		more    bool
	)
	err := st.ScanAudit(ctx, from, func(r *store.AuditRecord) (bool, error) {
		if len(page.Matches) == lim.Max || (lim.MaxScan > 0 && scanned == lim.MaxScan) {
			// A record exists past what we return: the caller continues here.
			page.Next, more = r.Seq, true
			return false, nil
		}
		scanned++
		var ev Event
		if err := json.Unmarshal(r.Body, &ev); err != nil {
			return false, fmt.Errorf("audit: seq %d: body is not an event: %w", r.Seq, err)
		}
		if f.Match(&ev) {
			page.Matches = append(page.Matches, Match{Record: r, Event: ev})
		}
		return true, nil
	})
	if err != nil {
		return Page{}, fmt.Errorf("audit: query from seq %d: %w", from, err)
	}
	if !more {
		page.Next = 0
	}
	return page, nil
}
