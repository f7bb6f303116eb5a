package drift_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/drift"
	"github.com/ztci/ztci/audit/audittest"
)

// review39Store counts the queries the Detector runs.
type review39Store struct {
	inventory.Store
	queries atomic.Int64
}

func (s *review39Store) Query(ctx context.Context, q inventory.Query) (inventory.Result, error) {
	s.queries.Add(1)
	return s.Store.Query(ctx, q)
}

// review39Fleet is a fleet of 100 artifacts (artifact 17 affected by
// GHSA-w32m-9786-jp63) behind a counting store, and a Detector on it
// that has seen the advisory.
func review39Fleet(t *testing.T, opts ...drift.Option) (*drift.Detector, *review39Store, *audittest.Recorder) {
	t.Helper()
	s := &review39Store{Store: inventory.NewMemory()}
	seedFleet(t, s, 100)
	rec := audittest.NewRecorder()
	d, err := drift.New(s, rec, append([]drift.Option{drift.WithClock(func() time.Time { return review38Now })}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Advisory(t.Context(), parse(t, r38GHSA+".json"), time.Time{}); err != nil {
		t.Fatal(err)
	}
	s.queries.Store(0)
	return d, s, rec
}

// review39Contrary is a contrary statement dated r38T3 whose products
// name the artifacts digests (by sha-256 hash; a repeated one is a
// product with another @id naming the same digest).
func review39Contrary(status string, artifacts ...int) string {
	var ps []string
	for n, i := range artifacts {
		ps = append(ps, fmt.Sprintf(`{"@id":"urn:example:app%d-%d","hashes":{"sha-256":%q}}`, i, n, hexOf(i)))
	}
	return `{"vulnerability":{"name":"` + r38CVE + `"},"status":"` + status + `","action_statement":"upgrade","timestamp":"` + r38T3 +
		`","products":[` + strings.Join(ps, ",") + `]}`
}

// An affected or under_investigation statement ran one inventory query
// per product, with no bound and no de-duplication: a statement of
// vex.MaxProducts (262,144) products, each query returning up to
// inventory.MaxLimit admissions, held one call for hours. Identical
// queries now run once and at most WithMaxQueries distinct ones run; past
// the bound the statement is applied to every artifact (it blocks every
// lift for its vulnerability, as a product the index cannot search) and
// the call returns ErrTooManyQueries, never a silently partial result.
func TestReview39QueryBoundVEXContrary(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		max        int
		status     string
		artifacts  []int
		wantErr    error
		wantBlock  bool
		wantQuery  int64
		wantEvents int
	}{
		{name: "affected under the bound", max: 3, status: "affected", artifacts: []int{1, 2, 3}, wantQuery: 3, wantEvents: 3},
		{name: "under_investigation under the bound", max: 3, status: "under_investigation", artifacts: []int{1, 2, 3}, wantQuery: 3},
		{name: "affected over the bound", max: 2, status: "affected", artifacts: []int{1, 2, 3}, wantErr: drift.ErrTooManyQueries, wantBlock: true, wantQuery: 2, wantEvents: 2},
		{name: "under_investigation over the bound", max: 2, status: "under_investigation", artifacts: []int{1, 2, 3}, wantErr: drift.ErrTooManyQueries, wantBlock: true, wantQuery: 2},
		{name: "duplicates queried once", max: 1, status: "affected", artifacts: []int{1, 1, 1, 1}, wantQuery: 1, wantEvents: 1},
		{name: "duplicates and one more over the bound", max: 1, status: "affected", artifacts: []int{1, 1, 2}, wantErr: drift.ErrTooManyQueries, wantBlock: true, wantQuery: 1, wantEvents: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, s, rec := review39Fleet(t, drift.WithMaxQueries(tc.max))
			before := len(rec.Events())
			_, err := d.VEX(t.Context(), review38Statement(t, review38Step{statement: review39Contrary(tc.status, tc.artifacts...)}), vexSigner, nil, time.Time{})
			if !errors.Is(err, tc.wantErr) || tc.wantErr != nil && !errors.Is(err, drift.ErrIncomplete) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if got := s.queries.Load(); got != tc.wantQuery {
				t.Fatalf("%d inventory queries, want %d", got, tc.wantQuery)
			}
			if got := len(rec.Events()) - before; got != tc.wantEvents {
				t.Fatalf("%d events, want %d", got, tc.wantEvents)
			}
			// The statement names none of artifact 17: only a statement
			// applied to every artifact blocks its lift.
			rep, err := d.VEX(t.Context(), review38Statement(t, review38Step{statement: review38Stmt(17, r38CVE, "not_affected", r38T2, "")}), vexSigner, parse(t, r38GHSA+".json"), time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if blocked := len(rep.Changes) == 0 && rep.Superseded == 1; blocked != tc.wantBlock {
				t.Fatalf("lift blocked = %v (%+v), want %v", blocked, rep, tc.wantBlock)
			}
		})
	}
}

// review39Advisory is GHSA-w32m-9786-jp63 with its affected entries
// replaced by one per module (each the golang.org/x/net range).
func review39Advisory(t *testing.T, modules ...string) *drift.Advisory {
	t.Helper()
	var rec map[string]any
	if err := json.Unmarshal(fixture(t, r38GHSA+".json"), &rec); err != nil {
		t.Fatal(err)
	}
	var affected []any
	for _, m := range modules {
		affected = append(affected, map[string]any{"package": map[string]any{"ecosystem": "Go", "name": m},
			"ranges": []any{map[string]any{"type": "ECOSYSTEM", "events": []any{map[string]any{"introduced": "0"}, map[string]any{"fixed": "0.33.0"}}}}})
	}
	rec["affected"] = affected
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	a, err := drift.ParseOSV(b)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// The same bound holds for an advisory's queries: past it, Advisory
// reports what the queries run found and returns ErrTooManyQueries, and
// a not_affected or fixed statement lifts nothing (not the findings of
// the queries that ran).
func TestReview39QueryBoundAdvisory(t *testing.T) {
	t.Parallel()
	lift := review38Stmt(17, r38CVE, "fixed", r38T2, "")
	for _, tc := range []struct {
		name      string
		max       int
		modules   []string
		wantErr   error
		wantQuery int64
		lifted    bool
	}{
		{name: "under the bound", max: 2, modules: []string{"golang.org/x/net", "example.com/none"}, wantQuery: 2, lifted: true},
		{name: "over the bound", max: 1, modules: []string{"golang.org/x/net", "example.com/none"}, wantErr: drift.ErrTooManyQueries, wantQuery: 1},
		{name: "duplicates queried once", max: 1, modules: []string{"golang.org/x/net", "golang.org/x/net"}, wantQuery: 1, lifted: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := &review39Store{Store: inventory.NewMemory()}
			seedFleet(t, s, 100)
			rec := audittest.NewRecorder()
			d, err := drift.New(s, rec, drift.WithClock(func() time.Time { return review38Now }), drift.WithMaxQueries(tc.max))
			if err != nil {
				t.Fatal(err)
			}
			adv := review39Advisory(t, tc.modules...)
			rep, err := d.Advisory(t.Context(), adv, time.Time{})
			if !errors.Is(err, tc.wantErr) || tc.wantErr != nil && !errors.Is(err, drift.ErrIncomplete) {
				t.Fatalf("Advisory: err = %v, want %v", err, tc.wantErr)
			}
			if len(rep.Changes) != 1 || rep.Changes[0].Digest != "sha256:"+hexOf(17) {
				t.Fatalf("Advisory: %+v, want artifact 17", rep)
			}
			if got := s.queries.Load(); got != tc.wantQuery {
				t.Fatalf("%d inventory queries, want %d", got, tc.wantQuery)
			}
			rep, err = d.VEX(t.Context(), review38Statement(t, review38Step{statement: lift}), vexSigner, adv, time.Time{})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("VEX: err = %v, want %v", err, tc.wantErr)
			}
			if lifted := len(rep.Changes) > 0; lifted != tc.lifted {
				t.Fatalf("lifted = %v (%+v), want %v", lifted, rep, tc.lifted)
			}
		})
	}
}

// WithMaxQueries refuses a bound below 1.
func TestReview39QueryBoundOption(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, -1} {
		if _, err := drift.New(inventory.NewMemory(), audittest.NewRecorder(), drift.WithMaxQueries(n)); !errors.Is(err, drift.ErrConfig) {
			t.Fatalf("WithMaxQueries(%d): %v, want ErrConfig", n, err)
		}
	}
}
