package drift_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/drift"
)

// FuzzParseOSV checks that ParseOSV never panics, that every refusal wraps
// ErrInvalidRecord, and that what it accepts translates into queries that
// compile, with every uncovered part reported as a skip.
func FuzzParseOSV(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(record(`{"package":{"ecosystem":"PyPI","name":"Django"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"4.0"},{"fixed":"4.2.1"},{"limit":"5.0"}]}],"versions":["4.1"]}`))
	f.Add(record(`{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.11-1~deb12u2"}]}]}`))
	f.Add(record(`{"package":{"ecosystem":"Go","name":"m"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"last_affected":"1.0.0"}]}]}`))
	f.Add([]byte(`{"id":"A-1","modified":"2026-01-01T00:00:00Z","affected":[{"ranges":[{"type":"GIT","repo":"r","events":[{"introduced":"0"}]}]}]}`))
	// Review 10: a versioned purl (Ubuntu), a "*" limit beside others, an
	// Alpine range.
	f.Add(record(`{"package":{"ecosystem":"Ubuntu:Pro:14.04:LTS","name":"php5","purl":"pkg:deb/ubuntu/php5@5.5.9+dfsg-1ubuntu4.29+esm16?arch=source&distro=esm-infra-legacy/trusty"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"5.5.9+dfsg-1ubuntu4.29+esm16"}]}]}`))
	f.Add(record(`{"package":{"ecosystem":"Go","name":"m"},"ranges":[{"type":"SEMVER","events":[{"introduced":"1.0.0"},{"limit":"1.2.0"},{"limit":"*"}]}]}`))
	f.Add(record(`{"package":{"ecosystem":"Alpine:v3.19","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.1.4_rc1-r6"},{"introduced":"3.2.0_alpha1"}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := drift.ParseOSV(b)
		if err != nil {
			if !errors.Is(err, drift.ErrInvalidRecord) {
				t.Fatalf("refusal does not wrap ErrInvalidRecord: %v", err)
			}
			return
		}
		qs, skips := a.Queries()
		for _, q := range qs {
			if _, err := inventory.Compile(q); err != nil {
				t.Fatalf("query %+v does not compile: %v", q, err)
			}
		}
		for _, s := range skips {
			if s.Err == nil || s.Affected < 0 || s.Affected >= len(a.Affected) {
				t.Fatalf("skip %+v", s)
			}
		}
	})
}
