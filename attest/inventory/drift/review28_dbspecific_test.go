package drift_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/attest/inventory/drift"
	"github.com/ztci/ztci/internal/strictjson/strictjsontest"
)

// TestReview28DatabaseSpecificFlood: an OSV record's database_specific,
// whose only member the parser reads is "severity", was decoded into a map
// of raw members: a 4 MiB record of distinct members there cost that map
// about eight times its size, over the 6-7x that reading any 4 MiB record
// costs (the strict check, the decoder's buffer, the raw member's copy).
// Such a record is refused before any map is built. Not parallel: it
// measures allocations.
func TestReview28DatabaseSpecificFlood(t *testing.T) {
	flood := strictjsontest.MemberFlood(`{"severity":"LOW"`, "https://a.example/", 4<<20-512)
	rec := append([]byte(`{"schema_version":"1.7.0","id":"A-1","modified":"2026-01-01T00:00:00Z","database_specific":`), flood...)
	rec = append(rec, `,"affected":[{"package":{"ecosystem":"npm","name":"left-pad"},"versions":["1.0.0"]}]}`...)
	var err error
	got := strictjsontest.Allocated(func() { _, err = drift.ParseOSV(rec) })
	t.Logf("%d bytes allocated for %d (%.1fx): %v", got, len(rec), float64(got)/float64(len(rec)), err)
	if !errors.Is(err, drift.ErrInvalidRecord) {
		t.Errorf("ParseOSV: %v, want ErrInvalidRecord", err)
	}
	if limit := uint64(8 * len(rec)); got > limit {
		t.Errorf("allocated %d bytes for a %d-byte record, want at most %d", got, len(rec), limit)
	}
}
