package storetest

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/store"
)

// base is a fixed, non-UTC, nanosecond-precise time: stores must keep every
// nanosecond and hand times back in UTC.
var base = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.FixedZone("X", 5*3600+30*60))

func action(id string, mods ...func(*store.Action)) *store.Action {
	a := &store.Action{
		ID:            id,
		Principal:     "agent:alice",
		Workspace:     "ws1",
		SessionID:     "sess1",
		Kind:          "write_file",
		RequestDigest: "sha256:" + id,
		Status:        store.StatusRunning,
		Request:       []byte("request " + id),
		Record:        []byte("record " + id),
		CreatedAt:     base,
		UpdatedAt:     base.Add(time.Millisecond),
	}
	for _, m := range mods {
		m(a)
	}
	return a
}

func withKey(k string) func(*store.Action) { return func(a *store.Action) { a.IdempotencyKey = k } }

func withPrincipal(p string) func(*store.Action) { return func(a *store.Action) { a.Principal = p } }

func withStatus(s store.Status) func(*store.Action) { return func(a *store.Action) { a.Status = s } }

func withOwner(o string) func(*store.Action) { return func(a *store.Action) { a.Owner = o } }

func withSession(s string) func(*store.Action) { return func(a *store.Action) { a.SessionID = s } }

// diffAction describes how got differs from want, or returns "".
func diffAction(got, want *store.Action) string {
	if got == nil {
		return "got nil action"
	}
	var d []string
	cmp := func(name string, g, w any) {
		if g != w {
			d = append(d, fmt.Sprintf("%s = %v, want %v", name, g, w))
		}
	}
	cmp("ID", got.ID, want.ID)
	cmp("Principal", got.Principal, want.Principal)
	cmp("Workspace", got.Workspace, want.Workspace)
	cmp("SessionID", got.SessionID, want.SessionID)
	cmp("Kind", got.Kind, want.Kind)
	cmp("IdempotencyKey", got.IdempotencyKey, want.IdempotencyKey)
	cmp("RequestDigest", got.RequestDigest, want.RequestDigest)
	cmp("Status", got.Status, want.Status)
	cmp("Owner", got.Owner, want.Owner)
	if !bytes.Equal(got.Request, want.Request) {
		d = append(d, fmt.Sprintf("Request = %q, want %q", got.Request, want.Request))
	}
	if !bytes.Equal(got.Record, want.Record) {
		d = append(d, fmt.Sprintf("Record = %q, want %q", got.Record, want.Record))
	}
	times := []struct {
		name      string
		got, want time.Time
	}{
		{"CreatedAt", got.CreatedAt, want.CreatedAt},
		{"UpdatedAt", got.UpdatedAt, want.UpdatedAt},
		{"ExpiresAt", got.ExpiresAt, want.ExpiresAt},
	}
	for _, tm := range times {
		if !tm.got.Equal(tm.want) {
			d = append(d, fmt.Sprintf("%s = %v, want %v", tm.name, tm.got, tm.want))
		}
		if !tm.got.IsZero() && tm.got.Location() != time.UTC {
			d = append(d, fmt.Sprintf("%s location = %v, want UTC", tm.name, tm.got.Location()))
		}
	}
	if len(d) == 0 {
		return ""
	}
	return fmt.Sprint(d)
}

func mustCreate(t *testing.T, st store.Store, a *store.Action) *store.Action {
	t.Helper()
	got, err := st.CreateAction(t.Context(), a)
	if err != nil {
		t.Fatalf("CreateAction(%q): %v", a.ID, err)
	}
	return got
}
