package drift_test

import (
	"slices"
	"testing"
	"time"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/drift"
	"github.com/ztci/ztci/attest/inventory/inventorytest"
	"github.com/ztci/ztci/audit/audittest"
)

// A RubyGems, NuGet, Packagist, Hex, Pub or Swift advisory's range finds
// the admitted artifacts whose version lies in it, ordered as that
// ecosystem orders (a pre-release below its release, NuGet's fourth
// number, Composer's patch above the release), instead of being skipped
// for want of an ordering; a version that does not parse is listed as
// possibly affected.
func TestAdvisoryRangesOfOrderedEcosystems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ecosystem, name, purl string // purl: the package as SBOMs name it, without version
		introduced, fixed     string
		affected, unaffected  []string // versions
	}{
		{"RubyGems", "rack", "pkg:gem/rack", "2.0.0", "2.2.8",
			[]string{"2.0.0", "2.2.7", "2.2.8.rc1", "2.2.8-1"}, []string{"1.9.9", "2.0.0.beta1", "2.2.8", "2.2.8.0"}},
		{"NuGet", "Newtonsoft.Json", "pkg:nuget/newtonsoft.json", "12.0.0", "13.0.1",
			[]string{"12.0.0", "13.0.0.9", "13.0.1-beta1", "13.0.1-BETA.2+build"}, []string{"11.0.2", "13.0.1", "13.0.1.0", "13.0.1+meta"}},
		{"Packagist", "symfony/http-kernel", "pkg:composer/symfony/http-kernel", "5.0.0", "5.4.20",
			[]string{"5.0.0", "v5.4.19", "5.4.20-RC1", "5.4.20-beta2"}, []string{"4.4.49", "5.0.0-RC1", "5.4.20", "5.4.20.0", "5.4.20-p1"}},
		{"Hex", "plug", "pkg:hex/plug", "1.0.0", "1.3.5",
			[]string{"1.0.0", "1.3.5-rc.0", "1.3.4"}, []string{"0.14.0", "1.0.0-rc.1", "1.3.5", "1.3.5+build.1"}},
		{"Pub", "http", "pkg:pub/http", "0.13.0", "0.13.3",
			[]string{"0.13.0", "0.13.2+1", "0.13.3-dev"}, []string{"0.12.2", "0.13.0-nullsafety.0", "0.13.3", "0.13.3+1"}},
	}
	for _, tt := range tests {
		t.Run(tt.ecosystem, func(t *testing.T) {
			t.Parallel()
			s := inventory.NewMemory()
			// "junk" parses in no ordering: possibly affected, listed.
			affected := append([]string{"junk"}, tt.affected...)
			var want []string
			for i, v := range append(affected, tt.unaffected...) {
				id := tt.ecosystem + "-" + v
				a := inventorytest.Admission(id, id, tt.purl+"@"+v)
				a.Time = a.Time.Add(time.Duration(i) * time.Minute)
				if err := s.Record(t.Context(), a); err != nil {
					t.Fatal(err)
				}
				if i < len(affected) {
					want = append(want, id)
				}
			}
			adv, err := drift.ParseOSV(record(`{"package":{"ecosystem":"` + tt.ecosystem + `","name":"` + tt.name +
				`"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"` + tt.introduced + `"},{"fixed":"` + tt.fixed + `"}]}]}`))
			if err != nil {
				t.Fatal(err)
			}
			d, err := drift.New(s, audittest.NewRecorder())
			if err != nil {
				t.Fatal(err)
			}
			rep, err := d.Advisory(t.Context(), adv, time.Time{})
			if err != nil || len(rep.Skipped) != 0 {
				t.Fatalf("advisory: %v, skipped %v", err, rep.Skipped)
			}
			var got []string
			for _, c := range rep.Changes {
				for _, a := range c.Admissions {
					got = append(got, a.DecisionID)
				}
				if unordered := c.Packages[0].Version == "junk"; c.Packages[0].Unordered != unordered {
					t.Errorf("change %+v: unordered = %v, want %v", c.Packages[0], c.Packages[0].Unordered, unordered)
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("affected %v, want %v", got, want)
			}
		})
	}
}
