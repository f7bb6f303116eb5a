package audit

import (
	"errors"
	"slices"
	"time"
	"unicode/utf8"
)

// appendEvent appends the JSON of e exactly as encoding/json (with HTML
// escaping off) would, without reflection: it is the hot path of every
// audit write. FuzzEncodeMatchesEncodingJSON holds it to byte equality with
// encoding/json, and the golden test pins the result.
func appendEvent(b []byte, e *Event) ([]byte, error) {
	y := e.Time.Year()
	if y < 0 || y > 9999 {
		return b, errors.New("time: year outside of range [0,9999]")
	}
	b = append(b, `{"id":`...)
	b = appendJSONString(b, e.ID)
	b = append(b, `,"time":"`...)
	b = e.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","source":`...)
	b = appendJSONString(b, e.Source)
	b = append(b, `,"action":`...)
	b = appendJSONString(b, e.Action)
	b = append(b, `,"outcome":`...)
	b = appendJSONString(b, string(e.Outcome))
	b = append(b, `,"actor":{"id":`...)
	b = appendJSONString(b, e.Actor.ID)
	b = appendOptString(b, `,"kind":`, e.Actor.Kind)
	b = appendMap(b, `,"claims":`, e.Actor.Claims)
	b = append(b, '}')
	b = appendOptString(b, `,"resource":`, e.Resource)
	b = appendOptString(b, `,"reason":`, e.Reason)
	b = appendOptString(b, `,"policy_revision":`, e.PolicyRevision)
	if len(e.Violations) > 0 {
		b = append(b, `,"violations":[`...)
		for i, v := range e.Violations {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, v)
		}
		b = append(b, ']')
	}
	if c := e.Correlation; c != (Correlation{}) {
		b = append(b, `,"correlation":{`...)
		n := len(b)
		b = appendOptString(b, `,"job_id":`, c.JobID)
		b = appendOptString(b, `,"run_id":`, c.RunID)
		b = appendOptString(b, `,"trace_id":`, c.TraceID)
		b = append(b[:n], b[n+1:]...) // drop the first field's comma
		b = append(b, '}')
	}
	b = appendMap(b, `,"attributes":`, e.Attributes)
	return append(b, '}'), nil
}

func appendOptString(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	return appendJSONString(append(b, key...), v)
}

func appendMap(b []byte, key string, m map[string]string) []byte {
	if len(m) == 0 {
		return b
	}
	b = append(b, key...)
	b = append(b, '{')
	var stack [16]string
	keys := stack[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, m[k])
	}
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString is encoding/json's string encoding with HTML escaping
// off: '"' and '\\' and control characters escaped, invalid UTF-8 replaced
// by U+FFFD, U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
