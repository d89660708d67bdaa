package audit_test

import (
	"bytes"
	"database/sql"
	"fmt"
	"testing"

	"github.com/airlock-dev/airlock/audit"
)

// TestVerifyDetectsTampering records a chain, tampers with the file through
// a separate SQL connection the way someone with database access would, and
// checks Verify names the first bad seq and the kind of damage.
func TestVerifyDetectsTampering(t *testing.T) {
	const n = 10
	cases := []struct {
		name        string
		tamper      func(t *testing.T, db *sql.DB)
		wantOK      bool
		wantBad     int64
		wantProblem string
		wantRecords int64
	}{
		{name: "untouched", tamper: func(*testing.T, *sql.DB) {}, wantOK: true, wantRecords: n},
		{
			name: "body altered",
			tamper: func(t *testing.T, db *sql.DB) {
				editBody(t, db, 5, "agent:alice", "agent:admin")
			},
			wantBad: 5, wantProblem: audit.ProblemAltered, wantRecords: 4,
		},
		{
			name: "body altered and its hash recomputed is caught at the next record",
			tamper: func(t *testing.T, db *sql.DB) {
				editBody(t, db, 5, "agent:alice", "agent:admin")
				var body []byte
				mustQueryRow(t, db, `SELECT body FROM audit WHERE seq = 5`, &body)
				setBody(t, db, 5, body)
			},
			wantBad: 6, wantProblem: audit.ProblemInserted, wantRecords: 5,
		},
		{
			name: "time column altered",
			tamper: func(t *testing.T, db *sql.DB) {
				mustExec(t, db, `UPDATE audit SET time = time + 1000 WHERE seq = 3`)
			},
			wantBad: 3, wantProblem: audit.ProblemAltered, wantRecords: 2,
		},
		{
			name: "prev_hash altered",
			tamper: func(t *testing.T, db *sql.DB) {
				mustExec(t, db, `UPDATE audit SET prev_hash = ? WHERE seq = 7`, audit.GenesisHash)
			},
			wantBad: 7, wantProblem: audit.ProblemAltered, wantRecords: 6,
		},
		{
			name:    "middle row removed",
			tamper:  func(t *testing.T, db *sql.DB) { mustExec(t, db, `DELETE FROM audit WHERE seq = 5`) },
			wantBad: 5, wantProblem: audit.ProblemRemoved, wantRecords: 4,
		},
		{
			name:    "first row removed",
			tamper:  func(t *testing.T, db *sql.DB) { mustExec(t, db, `DELETE FROM audit WHERE seq = 1`) },
			wantBad: 1, wantProblem: audit.ProblemRemoved, wantRecords: 0,
		},
		{
			name: "row removed and later rows renumbered",
			tamper: func(t *testing.T, db *sql.DB) {
				mustExec(t, db, `DELETE FROM audit WHERE seq = 4`)
				mustExec(t, db, `UPDATE audit SET seq = seq - 1 WHERE seq > 4`)
			},
			wantBad: 4, wantProblem: audit.ProblemReordered, wantRecords: 3,
		},
		{
			name: "two rows swapped",
			tamper: func(t *testing.T, db *sql.DB) {
				mustExec(t, db, `UPDATE audit SET seq = -1 WHERE seq = 5`)
				mustExec(t, db, `UPDATE audit SET seq = 5 WHERE seq = 6`)
				mustExec(t, db, `UPDATE audit SET seq = 6 WHERE seq = -1`)
			},
			wantBad: 5, wantProblem: audit.ProblemReordered, wantRecords: 4,
		},
		{
			name: "forged row inserted in the middle",
			tamper: func(t *testing.T, db *sql.DB) {
				mustExec(t, db, `UPDATE audit SET seq = seq + 1000 WHERE seq >= 6`)
				mustExec(t, db, `UPDATE audit SET seq = seq - 999 WHERE seq >= 1006`)
				forge(t, db, 6)
			},
			wantBad: 6, wantProblem: audit.ProblemInserted, wantRecords: 5,
		},
		{
			name:    "forged row appended",
			tamper:  func(t *testing.T, db *sql.DB) { forge(t, db, n+1) },
			wantBad: n + 1, wantProblem: audit.ProblemInserted, wantRecords: n,
		},
		{
			name:    "body replaced by non-JSON with a matching hash",
			tamper:  func(t *testing.T, db *sql.DB) { setBody(t, db, 2, []byte("not json")) },
			wantBad: 2, wantProblem: audit.ProblemAltered, wantRecords: 1,
		},
		{
			// Truncating the tail leaves a valid, shorter chain: Verify says
			// OK, and only Head (compared with the logs) reveals it.
			name:        "newest row removed",
			tamper:      func(t *testing.T, db *sql.DB) { mustExec(t, db, `DELETE FROM audit WHERE seq = ?`, n) },
			wantOK:      true,
			wantRecords: n - 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, path := openStore(t)
			r, _ := newRecorder(t, st)
			for i := range n {
				if err := r.Record(t.Context(), sampleEvent(i)); err != nil {
					t.Fatalf("Record: %v", err)
				}
			}
			if err := r.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			_, head := r.Head()
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatalf("open raw db: %v", err)
			}
			defer db.Close()
			tc.tamper(t, db)

			res, err := audit.Verify(t.Context(), st)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if res.OK != tc.wantOK || res.FirstBad != tc.wantBad || res.Problem != tc.wantProblem || res.Records != tc.wantRecords {
				t.Fatalf("Verify = %+v, want OK %v FirstBad %d Problem %q Records %d",
					res, tc.wantOK, tc.wantBad, tc.wantProblem, tc.wantRecords)
			}
			if !tc.wantOK && res.Detail == "" {
				t.Error("Verify gave no detail for a broken chain")
			}
			if tc.wantRecords == n && res.Head != head {
				t.Errorf("Head = %s, want the recorder's head %s", res.Head, head)
			}
			if tc.wantRecords < n && res.Head == head {
				t.Errorf("Head = recorder's head %s after tampering", head)
			}
		})
	}
}

func TestVerifyEmpty(t *testing.T) {
	st, _ := openStore(t)
	res, err := audit.Verify(t.Context(), st)
	if err != nil || !res.OK || res.Records != 0 || res.Head != audit.GenesisHash {
		t.Fatalf("Verify(empty) = %+v, %v; want OK, 0 records, genesis head", res, err)
	}
}

func editBody(t *testing.T, db *sql.DB, seq int64, old, new string) {
	t.Helper()
	var body []byte
	mustQueryRow(t, db, `SELECT body FROM audit WHERE seq = ?`, &body, seq)
	edited := bytes.Replace(body, []byte(old), []byte(new), 1)
	if bytes.Equal(edited, body) {
		t.Fatalf("seq %d body has no %q", seq, old)
	}
	mustExec(t, db, `UPDATE audit SET body = ? WHERE seq = ?`, edited, seq)
}

// setBody replaces a body and recomputes that record's hash, so only the
// body's content can give it away.
func setBody(t *testing.T, db *sql.DB, seq int64, body []byte) {
	t.Helper()
	var prev string
	mustQueryRow(t, db, `SELECT prev_hash FROM audit WHERE seq = ?`, &prev, seq)
	mustExec(t, db, `UPDATE audit SET body = ?, hash = ? WHERE seq = ?`, body, audit.Hash(prev, body), seq)
}

// forge inserts a well-formed record at seq whose own hash is correct but
// which is chained to a record other than its predecessor (the forger does
// not have, or mis-guesses, the real predecessor's hash).
func forge(t *testing.T, db *sql.DB, seq int64) {
	t.Helper()
	var prev string
	mustQueryRow(t, db, `SELECT hash FROM audit WHERE seq = 1`, &prev)
	body := fmt.Appendf(nil, `{"seq":%d,"time":"2026-01-01T00:00:00Z","type":"action.executed","action_id":"forged"}`, seq)
	mustExec(t, db, `INSERT INTO audit (seq, time, action_id, type, body, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		seq, int64(1767225600)*1e9, "forged", "action.executed", body, prev, audit.Hash(prev, body))
}

func mustExec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// mustQueryRow scans one value; trailing args after dest are query args.
func mustQueryRow(t *testing.T, db *sql.DB, q string, dest any, args ...any) {
	t.Helper()
	if err := db.QueryRow(q, args...).Scan(dest); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}
