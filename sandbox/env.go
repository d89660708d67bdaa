package sandbox

import "sort"

// safePath is fixed: the server's PATH may point into directories the
// sandbox cannot read, or that an attacker controls.
const safePath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// buildEnv returns the command's whole environment: a fixed base plus the
// spec's variables (which may override the base; policy granted them).
// Sorted so that the audit record and the command see a stable order.
func buildEnv(extra map[string]string) []string {
	m := map[string]string{
		"PATH":   safePath,
		"HOME":   "/tmp",
		"TMPDIR": "/tmp",
		"LANG":   "C.UTF-8",
	}
	for k, v := range extra {
		m[k] = v
	}
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}
