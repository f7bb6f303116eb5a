package natskill

import (
	"errors"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
)

// FuzzDecodeMark: whatever a writer to the bucket stores, decoding never
// panics, and a value it accepts is a complete mark that belongs under its
// key and survives a round trip.
func FuzzDecodeMark(f *testing.F) {
	good := Mark{Kind: KindKey, Mark: audit.Mark{ID: "kid-1", Reason: "leaked", By: "oncall", Since: time.Unix(1700000000, 0).UTC()}}
	v, err := encodeMark(good)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(key(KindKey, "kid-1"), v)
	f.Add(key(KindJob, "kid-1"), v) // wrong key
	f.Add("job.x", []byte(`{"kind":"job","id":"a","reason":"r","by":"b","since":"2026-01-01T00:00:00Z","extra":1}`))
	f.Add("job.x", []byte(`{"kind":"planet","id":"a","reason":"r","by":"b"}`))
	f.Add("job.x", []byte(`{"kind":"job"} {}`))
	f.Add("job.x", []byte(`null`))
	f.Fuzz(func(t *testing.T, k string, v []byte) {
		m, err := decodeMark(k, v)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not match ErrCorrupt", err)
			}
			return
		}
		if key(m.Kind, m.ID) != k || validArgs(m.Kind, m.ID, m.Reason, m.By) != nil {
			t.Fatalf("accepted an invalid mark %+v under %q", m, k)
		}
		again, err := encodeMark(m)
		if err != nil {
			t.Fatal(err)
		}
		if m2, err := decodeMark(k, again); err != nil || m2.ID != m.ID || m2.Kind != m.Kind || !m2.Until.Equal(m.Until) {
			t.Fatalf("round trip: %+v, %v", m2, err)
		}
	})
}
