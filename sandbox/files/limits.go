package files

// Limits bounds what one operation may cost. Zero fields take defaults from WithDefaults.
type Limits struct {
	MaxFileBytes   int64 // largest file read into memory or written; default 16 MiB
	MaxReadBytes   int64 // largest slice returned by one Read; default 1 MiB
	MaxListEntries int   // most entries one List returns; default 1000
	MaxListDepth   int   // deepest recursion of one List; default 8
	MaxDiffBytes   int   // cap on UnifiedDiff output the planner asks for; default 64 KiB
}

// Default limits.
const (
	DefaultMaxFileBytes   = 16 << 20
	DefaultMaxReadBytes   = 1 << 20
	DefaultMaxListEntries = 1000
	DefaultMaxListDepth   = 8
	DefaultMaxDiffBytes   = 64 << 10
)

// WithDefaults returns l with every zero or negative field set to its default, so a partly filled
// configuration never means "unlimited".
func (l Limits) WithDefaults() Limits {
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = DefaultMaxFileBytes
	}
	if l.MaxReadBytes <= 0 {
		l.MaxReadBytes = DefaultMaxReadBytes
	}
	if l.MaxListEntries <= 0 {
		l.MaxListEntries = DefaultMaxListEntries
	}
	if l.MaxListDepth <= 0 {
		l.MaxListDepth = DefaultMaxListDepth
	}
	if l.MaxDiffBytes <= 0 {
		l.MaxDiffBytes = DefaultMaxDiffBytes
	}
	return l
}
