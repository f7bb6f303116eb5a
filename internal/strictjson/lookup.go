package strictjson

import (
	"bytes"
	"encoding/json"
	"strings"
)

// Lookup returns the raw value at path in b: from the top-level value,
// each step takes the member of an object whose name, escapes decoded, is
// exactly path[i] (the first, if the name repeats). It reports false when a
// step finds no object or no such member.
//
// Lookup validates nothing and reads no more of b than it must: it is for
// routing hints read from unverified documents (a bundle's claimed
// predicate type), a few times faster than encoding/json on a large
// bundle. On a document that [Check] accepts and a strict parser then
// reads, it finds the value that parser finds; on anything else its answer
// means nothing, though it never panics.
func Lookup(b []byte, path ...string) ([]byte, bool) {
	v := bytes.TrimLeft(b, " \t\r\n")
	for _, name := range path {
		var ok bool
		if v, ok = member(v, name); !ok {
			return nil, false
		}
	}
	end, ok := valueEnd(v, 0)
	if !ok {
		return nil, false
	}
	return v[:end], true
}

// member returns the value of the member name of the object obj starts
// with, from its first byte on (its end not found yet).
func member(obj []byte, name string) ([]byte, bool) {
	if len(obj) == 0 || obj[0] != '{' {
		return nil, false
	}
	for i := skipSpace(obj, 1); i < len(obj) && obj[i] == '"'; {
		end, ok := stringEnd(obj, i)
		if !ok {
			return nil, false
		}
		key := obj[i : end+1]
		i = skipSpace(obj, end+1)
		if i >= len(obj) || obj[i] != ':' {
			return nil, false
		}
		i = skipSpace(obj, i+1)
		if nameIs(key, name) {
			return obj[i:], true
		}
		if i, ok = valueEnd(obj, i); !ok {
			return nil, false
		}
		if i = skipSpace(obj, i); i >= len(obj) || obj[i] != ',' {
			return nil, false
		}
		i = skipSpace(obj, i+1)
	}
	return nil, false
}

// nameIs reports whether the quoted member name key is name.
func nameIs(key []byte, name string) bool {
	raw := key[1 : len(key)-1]
	if plain(raw) {
		return string(raw) == name
	}
	var s string
	return json.Unmarshal(key, &s) == nil && s == name
}

// valueEnd returns the index just past the value that starts at b[i].
func valueEnd(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		end, ok := stringEnd(b, i)
		return end + 1, ok
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1, true
				}
			case '"':
				end, ok := stringEnd(b, j)
				if !ok {
					return 0, false
				}
				j = end
			}
		}
		return 0, false
	}
	j := i
	for j < len(b) && strings.IndexByte(",}] \t\r\n", b[j]) < 0 {
		j++
	}
	return j, j > i
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}
