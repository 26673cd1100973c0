package protocol

import (
	"encoding/json"
	"unicode/utf8"
)

// member is one key of a JSON object and its raw value.
type member struct {
	key string
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
		if ms[i].key == key {
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
		key := string(raw[i+1 : end-1])
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
