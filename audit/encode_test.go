package audit

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// stdEncode is the reference: encoding/json with HTML escaping off.
func stdEncode(t *testing.T, e Event) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func FuzzEncodeMatchesEncodingJSON(f *testing.F) {
	f.Add("id", "src", "act", "actor", "kind", "k", "v", "res", "why", "rev", "viol", "job", "", "trace", int64(0), uint8(0))
	f.Add("\"\\\b\f\n\r\t\x00\x1f\x7f", "<>&", "\u2028\u2029", "\xff\xfe", "é€😀", "", "", "", "", "", "", "", "run", "", int64(1<<40), uint8(3))
	f.Fuzz(func(t *testing.T, id, src, act, actor, kind, k, v, res, why, rev, viol, job, run, trace string, ns int64, flags uint8) {
		e := Event{
			ID: id, Time: time.Unix(0, ns).UTC(), Source: src, Action: act, Outcome: Outcome(why),
			Actor: Actor{ID: actor, Kind: kind}, Resource: res, Reason: why, PolicyRevision: rev,
			Correlation: Correlation{JobID: job, RunID: run, TraceID: trace},
		}
		if flags&1 != 0 {
			e.Actor.Claims = map[string]string{k: v, v: k, "z": id}
		}
		if flags&2 != 0 {
			e.Attributes = map[string]string{k: v, "a": res}
		}
		if flags&4 != 0 {
			e.Violations = []string{viol, k, ""}
		}
		if flags&8 != 0 {
			e.Violations = []string{}
			e.Attributes = map[string]string{}
		}
		got, err := appendEvent(nil, &e)
		if err != nil {
			t.Skip() // year out of range: encoding/json fails too
		}
		if want := stdEncode(t, e); !bytes.Equal(got, want) {
			t.Fatalf("encoder differs from encoding/json:\ngot  %s\nwant %s", got, want)
		}
	})
}

func TestEncodeMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		e    Event
	}{
		{"golden", goldenEvent()},
		{"minimal", Event{ID: "i", Time: testT0, Source: "s", Action: "a", Outcome: OutcomeAllow, Actor: Actor{ID: "x"}}},
		{"partial correlation", Event{ID: "i", Time: testT0, Source: "s", Action: "a", Outcome: OutcomeAllow, Actor: Actor{ID: "x"}, Correlation: Correlation{TraceID: "t"}}},
		{"many attributes", func() Event {
			e := testEvent(1)
			e.Attributes = map[string]string{}
			for i := range 40 {
				e.Attributes[string(rune('a'+i%26))+string(rune('0'+i/26))] = "v"
			}
			return e
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := tt.e
			e.Time = e.Time.UTC()
			got, err := appendEvent(nil, &e)
			if err != nil {
				t.Fatal(err)
			}
			if want := stdEncode(t, e); !bytes.Equal(got, want) {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}
