package policy

import (
	"context"
	"net/http"
)

// source is where revisions come from: a directory or a bundle. fetch
// returns nil (and no error) when the source knows it has not changed since
// the snapshot last passed to seen, so that an unchanged bundle costs no
// rebuild.
type source interface {
	fetch(ctx context.Context) (*snapshot, error)
	// seen records that snap was judged (served or refused), so that the
	// same bytes are not fetched and judged again.
	seen(snap *snapshot)
	String() string
}

// newSource picks the source c describes.
func newSource(c Conf, hc *http.Client) (source, error) {
	if c.Bundle == nil {
		return dirSource(c.Dir), nil
	}
	return newBundleSource(*c.Bundle, hc)
}

// dirSource reads the policy directory afresh on every fetch; the revision
// hash then tells a change from none.
type dirSource string

func (d dirSource) fetch(context.Context) (*snapshot, error) { return readSources(string(d)) }
func (dirSource) seen(*snapshot)                             {}
func (d dirSource) String() string                           { return "dir:" + string(d) }
