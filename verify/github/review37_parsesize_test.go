package github_test

import (
	"errors"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/github"
)

// TestReview37ParseBundlesListIsStreamed: an attestations API response
// (or a file claiming to be one) is the submitter's. Its list was decoded
// whole into a slice before its length was checked against
// MaxAttestations, so `{"attestations":[0,0,…]}` made encoding/json
// allocate about eighty times the input (1.2 GiB for 16 MiB; 5 GiB for
// MaxInputBytes) before the refusal. The list is now read entry by entry
// and no further than MaxAttestations: what ParseBundles allocates is a
// small multiple of its input. The same for JSON Lines, whose lines were
// all split into one slice first.
//
// Not parallel: it measures the process's allocations.
func TestReview37ParseBundlesListIsStreamed(t *testing.T) {
	const size = 4 << 20
	list := func(elem string) string {
		return `{"attestations":[` + strings.Repeat(elem, size/len(elem)) + `0]}`
	}
	for _, tc := range []struct {
		name string
		in   string
	}{
		{"numbers", list("0,")},
		{"empty objects", list("{},")},
		{"empty arrays", list("[],")},
		{"entries without a bundle", list(`{"x":0},`)},
		// JSON Lines: the lines were split into one slice first, 24
		// bytes for each byte of "\n".
		{"empty lines", strings.Repeat("\n", size) + "{}\n{"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			got, err := github.ParseBundles(strings.NewReader(in))
			runtime.ReadMemStats(&after)
			if !errors.Is(err, verify.ErrMalformedBundle) || got != nil {
				t.Fatalf("%d bundles, %v; want ErrMalformedBundle", len(got), err)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8*uint64(len(in)) {
				t.Fatalf("%d MiB allocated for %d MiB of input", alloc>>20, len(in)>>20)
			}
		})
	}
}

// TestReview37ParseBundlesListShapes: reading the list entry by entry
// keeps ParseBundles' answers: every inline bundle, in order; a
// list longer than MaxAttestations, an entry that is not an object or has
// no inline bundle, and an attestations member that is not a list are
// refused.
func TestReview37ParseBundlesListShapes(t *testing.T) {
	t.Parallel()
	entry := func(n int) string { return `{"bundle":{"mediaType":"m` + strconv.Itoa(n) + `"},"repository_id":1}` }
	var max []string
	for i := range github.MaxAttestations {
		max = append(max, entry(i))
	}
	for _, tc := range []struct {
		name string
		in   string
		n    int // bundles; 0: refused
	}{
		{"one", `{"attestations":[` + entry(0) + `]}`, 1},
		{"MaxAttestations", `{"attestations":[` + strings.Join(max, ",") + `]}`, github.MaxAttestations},
		{"one more", `{"attestations":[` + strings.Join(max, ",") + `,` + entry(0) + `]}`, 0},
		{"one more per line is counted per input", `{"attestations":[` + strings.Join(max, ",") + "]}\n" + `{"attestations":[` + entry(0) + `]}`, 0},
		{"empty", `{"attestations":[]}`, 0},
		{"null", `{"attestations":null}`, 0},
		{"object", `{"attestations":{"bundle":{}}}`, 0},
		{"string", `{"attestations":"x"}`, 0},
		{"number entry", `{"attestations":[` + entry(0) + `,1]}`, 0},
		{"null entry", `{"attestations":[null]}`, 0},
		{"bundle_url only", `{"attestations":[{"bundle":null,"bundle_url":"https://example.invalid"}]}`, 0},
		{"string bundle", `{"attestations":[{"bundle":"{}"}]}`, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := github.ParseBundles(strings.NewReader(tc.in))
			if tc.n == 0 {
				if !errors.Is(err, verify.ErrMalformedBundle) {
					t.Fatalf("%d bundles, %v; want ErrMalformedBundle", len(got), err)
				}
				return
			}
			if err != nil || len(got) != tc.n {
				t.Fatalf("%d bundles, %v; want %d", len(got), err, tc.n)
			}
			for i, b := range got {
				if want := `{"mediaType":"m` + strconv.Itoa(i) + `"}`; string(b) != want {
					t.Fatalf("bundle %d is %s, want %s", i, b, want)
				}
			}
		})
	}
}
