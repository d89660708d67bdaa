package postgres

import "github.com/airlock-dev/airlock/store"

// ownedBy is the MarkInterrupted filter for its owner parameter. Unowned
// running rows (written before the owner column existed, or by a caller that gave no
// owner) belong to no replica that could ever finish them, so every
// replica's start-up interrupts them rather than leaving them running
// forever.
const ownedBy = `(owner = $2 OR owner = '')`

// ownerFor is the owner CreateAction stores: the given one with status
// running, none otherwise, because Owner names the replica that ran the
// action and nothing runs an action created in any other status.
// UpdateAction to a non-running status keeps the stored owner instead, so
// that a finished or interrupted action still names the replica that ran
// it.
func ownerFor(s store.Status, owner string) string {
	if s != store.StatusRunning {
		return ""
	}
	return owner
}
