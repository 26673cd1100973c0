package protocol

import (
	"bytes"
	"fmt"
)

// JSON text is UTF-8, and encoding/json quietly turns what is not into
// U+FFFD: invalid bytes, and a \u escape of a UTF-16 surrogate that is not
// half of a pair (`"\ud800"`). Neither is a character a parking system
// can have meant, so parkd refuses both instead of storing U+FFFD: a body
// that is not UTF-8 is not JSON (2, checked on the whole body), and a
// lone surrogate escape is a value of the wrong type (1005 naming its
// field, docs/protocol.md §3). The escapes are looked for only when the
// text has a `\u` at all, so the common request pays one bytes.Index.

// errLoneSurrogate is the detail of a lone surrogate escape's 1005.
const errLoneSurrogate = "(has a \\u escape of a lone UTF-16 surrogate, which is no character)"

// checkSurrogates returns 1005 naming the member of the JSON value raw
// (an item) that holds a lone surrogate escape, or nil.
func checkSurrogates(raw []byte) error {
	if !bytes.Contains(raw, []byte(`\u`)) || !hasLoneSurrogate(raw) {
		return nil
	}
	return FieldErrorf(CodeType, surrogatePath(raw), errLoneSurrogate)
}

// surrogatePath returns the path within the JSON value raw of the first
// value with a lone surrogate escape: "" for raw itself (or an object
// with escaped keys, which is not walked), else "name", "name[2].sub".
func surrogatePath(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '{':
		if ms, ok := objectMembers(raw); ok {
			for _, m := range ms {
				if hasLoneSurrogate(m.val) {
					return joinPath(string(m.key), surrogatePath(m.val))
				}
			}
		}
	case '[':
		if elems, ok := splitArray(raw); ok {
			for i, e := range elems {
				if hasLoneSurrogate(e) {
					return joinPath(fmt.Sprintf("[%d]", i), surrogatePath(e))
				}
			}
		}
	}
	return ""
}

// joinPath appends the path p to prefix as Error.Prefix does.
func joinPath(prefix, p string) string {
	switch {
	case p == "":
		return prefix
	case p[0] == '[':
		return prefix + p
	}
	return prefix + "." + p
}

// hasLoneSurrogate reports whether the JSON text raw has a \u escape of a
// high surrogate (D800-DBFF) not followed at once by the escape of a low
// one (DC00-DFFF), or of a low surrogate not preceded by a high one.
func hasLoneSurrogate(raw []byte) bool {
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		if i+1 >= len(raw) || raw[i+1] != 'u' {
			i++ // another escape: skip its character (it may be a backslash)
			continue
		}
		r, ok := hex4(raw, i+2)
		if !ok {
			continue
		}
		switch {
		case r >= 0xdc00 && r <= 0xdfff:
			return true // a low surrogate with no high one before it
		case r >= 0xd800 && r <= 0xdbff:
			lo, ok := rune(0), false
			if i+7 < len(raw) && raw[i+6] == '\\' && raw[i+7] == 'u' {
				lo, ok = hex4(raw, i+8)
			}
			if !ok || lo < 0xdc00 || lo > 0xdfff {
				return true
			}
			i += 11 // the pair
		default:
			i += 5
		}
	}
	return false
}

// hex4 reads the four hex digits at raw[i:].
func hex4(raw []byte, i int) (rune, bool) {
	if i+4 > len(raw) {
		return 0, false
	}
	var r rune
	for _, c := range raw[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
