package shell

import "strings"

// Kinds of long option.
const (
	argNone = iota
	argRequired
	argOptional // only as --name=value
)

// flags describes a wrapper's options, so the planner can find where the
// wrapped command starts. An option it does not know makes the plan
// Dynamic: guessing whether it takes a value could hide the real command.
type flags struct {
	short      string         // boolean letters
	shortValue string         // letters that take a value (attached or next word)
	shortOpt   string         // letters that take an optional attached value
	long       map[string]int // long names => arg kind
	numeric    bool           // -N is an option (nice -10)
	plus       bool           // +x options (shells)
}

type opt struct {
	name  string // "-u", "--user", "+o", "-N"
	value string
}

// parse returns the options and the index of the first operand. ok is false
// when an option is unknown or a required value is missing.
func (f flags) parse(args []word) (opts []opt, rest int, ok bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		s := a.text
		if !a.lit || len(s) < 2 || (s[0] != '-' && !(f.plus && s[0] == '+')) {
			return opts, i, true
		}
		if s == "--" {
			return opts, i + 1, true
		}
		if strings.HasPrefix(s, "--") {
			name, val, hasVal := strings.Cut(s[2:], "=")
			kind, known := f.long[name]
			switch {
			case !known, kind == argNone && hasVal:
				return opts, i, false
			case kind == argRequired && !hasVal:
				if i+1 >= len(args) {
					return opts, i, false
				}
				i++
				val = args[i].text
			}
			opts = append(opts, opt{name: "--" + name, value: val})
			continue
		}
		if f.numeric && isDigits(s[1:]) {
			opts = append(opts, opt{name: "-N", value: s[1:]})
			continue
		}
		prefix := s[:1]
		for j := 1; j < len(s); j++ {
			c := s[j]
			name := prefix + string(c)
			switch {
			case strings.IndexByte(f.shortValue, c) >= 0:
				val := s[j+1:]
				if val == "" {
					if i+1 >= len(args) {
						return opts, i, false
					}
					i++
					val = args[i].text
				}
				opts = append(opts, opt{name: name, value: val})
				j = len(s)
			case strings.IndexByte(f.shortOpt, c) >= 0:
				opts = append(opts, opt{name: name, value: s[j+1:]})
				j = len(s)
			case strings.IndexByte(f.short, c) >= 0:
				opts = append(opts, opt{name: name})
			default:
				return opts, i, false
			}
		}
	}
	return opts, len(args), true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func hasOpt(opts []opt, names ...string) (string, bool) {
	for _, o := range opts {
		for _, n := range names {
			if o.name == n {
				return o.value, true
			}
		}
	}
	return "", false
}

func longs(kind int, names ...string) map[string]int {
	m := make(map[string]int, len(names))
	for _, n := range names {
		m[n] = kind
	}
	return m
}

func merge(ms ...map[string]int) map[string]int {
	out := map[string]int{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}
