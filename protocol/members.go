package protocol

import (
	"encoding/json"
	"unicode/utf8"
)

// member is one key of a JSON object and its raw value.
type member struct {
	key []byte // unescaped: objectMembers refuses keys with escapes
	val []byte
}

// members is the top level of a JSON object, read without building a map:
// the envelope and item checks only ask whether a key is present and
// null, which needs no allocation per field.
type members []member

// get returns the value of key and whether it is present; when a key
// repeats, the last value counts, as with encoding/json.
func (ms members) get(key string) ([]byte, bool) {
	for i := len(ms) - 1; i >= 0; i-- {
		if string(ms[i].key) == key {
			return ms[i].val, true
		}
	}
	return nil, false
}

// objectMembers reads the members of raw when it is valid JSON holding an
// object whose keys have no escapes and are valid UTF-8; ok is false
// otherwise, and the
// caller then uses encoding/json, which decodes escaped keys and reports
// errors.
func objectMembers(raw []byte) (ms members, ok bool) {
	if !json.Valid(raw) {
		return nil, false
	}
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, false
	}
	i = skipSpace(raw, i+1)
	if raw[i] == '}' {
		return members{}, true
	}
	ms = make(members, 0, 16)
	for {
		// raw is valid JSON: a key string, a colon, a value, then , or }.
		end, escaped := stringEnd(raw, i)
		if escaped || !utf8.Valid(raw[i+1:end-1]) {
			return nil, false
		}
		key := raw[i+1 : end-1]
		i = skipSpace(raw, end)
		i = skipSpace(raw, i+1) // past ':'
		vend := valueEnd(raw, i)
		ms = append(ms, member{key, raw[i:vend]})
		i = skipSpace(raw, vend)
		if raw[i] == '}' {
			return ms, true
		}
		i = skipSpace(raw, i+1) // past ','
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just past the string that starts at b[i]
// (a quote) and whether it holds an escape.
func stringEnd(b []byte, i int) (end int, escaped bool) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			return j + 1, escaped
		}
	}
	return len(b), escaped
}

// valueEnd returns the index just past the valid JSON value at b[i].
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		end, _ := stringEnd(b, i)
		return end
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, _ := stringEnd(b, j)
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(b)
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' && b[j] != '\r' {
		j++
	}
	return j
}

// splitArray returns the elements of raw, which must be valid JSON, when
// it is an array; ok is false otherwise.
func splitArray(raw []byte) (elems []json.RawMessage, ok bool) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '[' {
		return nil, false
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == ']' {
		return []json.RawMessage{}, true
	}
	for i < len(raw) {
		end := valueEnd(raw, i)
		elems = append(elems, raw[i:end:end])
		i = skipSpace(raw, end)
		if i >= len(raw) || raw[i] == ']' {
			break
		}
		i = skipSpace(raw, i+1) // past ','
	}
	return elems, true
}

// plainString returns the value of raw, valid JSON, when it is a string
// without escapes holding valid UTF-8: the bytes between its quotes.
func plainString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	in := raw[1 : len(raw)-1]
	for _, c := range in {
		if c == '\\' || c == '"' {
			return "", false
		}
	}
	if !utf8.Valid(in) {
		return "", false
	}
	return string(in), true
}

// plainInt returns the value of raw when it is a JSON integer of at most
// 18 digits, which always fits an int64.
func plainInt(raw []byte) (int64, bool) {
	digits := raw
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 18 || (digits[0] == '0' && len(digits) > 1) {
		return 0, false
	}
	var v int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if len(digits) < len(raw) {
		v = -v
	}
	return v, true
}
