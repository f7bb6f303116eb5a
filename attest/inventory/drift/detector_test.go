package drift_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/drift"
	"github.com/ztci/ztci/attest/inventory/inventorytest"
	"github.com/ztci/ztci/attest/inventory/pginventory"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/internal/itest"
)

// TestAcceptanceThreeOfThousand is issue #17's acceptance: a new
// vulnerability record for a package inside exactly 3 of 1,000 admitted
// artifacts yields exactly those 3 drift events, each naming the gate
// decision that admitted it — on every store.
func TestAcceptanceThreeOfThousand(t *testing.T) {
	t.Parallel()
	for _, st := range stores() {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			s := st.open(t)
			seedFleet(t, s, fleetSize)
			rec := audittest.NewRecorder()
			var observed []drift.Change
			d, err := drift.New(s, rec, drift.WithObserver(func(c drift.Change) { observed = append(observed, c) }))
			if err != nil {
				t.Fatal(err)
			}
			adv := parse(t, "GHSA-w32m-9786-jp63.json")
			arrived := time.Now()
			rep, err := d.Advisory(t.Context(), adv, arrived)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]int{} // decision id -> admission
			for i := range affected {
				want[decisionID(i)] = i
			}
			events := rec.Events()
			if len(events) != 3 || len(rep.Changes) != 3 || len(observed) != 3 || rep.Already != 0 || len(rep.Skipped) != 0 {
				t.Fatalf("%d events, %d changes, %d observed, report %+v; want 3", len(events), len(rep.Changes), len(observed), rep)
			}
			got := map[string]bool{}
			for k, e := range events {
				i, ok := want[e.Attributes["decision_id"]]
				if !ok || got[e.Attributes["decision_id"]] {
					t.Fatalf("event names decision %q", e.Attributes["decision_id"])
				}
				got[e.Attributes["decision_id"]] = true
				a := fleetAdmission(i)
				if e.Action != drift.ActionAdvisory || e.Outcome != audit.OutcomeFailure || e.Resource != a.Digest ||
					e.Attributes["image"] != a.Image || e.Attributes["advisory_id"] != "GHSA-w32m-9786-jp63" ||
					e.Attributes["packages"] != "pkg:golang/golang.org/x/net@"+affected[i] || e.PolicyRevision != "rev-3" ||
					!slices.Equal(e.Violations, []string{"GHSA-w32m-9786-jp63"}) || e.Attributes["severity"] != "HIGH" {
					t.Errorf("event %+v", e)
				}
				c := rep.Changes[k]
				mttd, err := strconv.ParseInt(e.Attributes["mttd_ns"], 10, 64)
				if err != nil || c.Latency <= 0 || time.Duration(mttd) != c.Latency || !c.Arrived.Equal(arrived) || c.EventID != e.ID {
					t.Errorf("change %+v, mttd %q", c, e.Attributes["mttd_ns"])
				}
			}
			t.Logf("%s: time to last event %v", st.name, rep.Changes[2].Latency)

			// Delivered again (a feed replays it): nothing new.
			rep, err = d.Advisory(t.Context(), adv, time.Now())
			if err != nil || len(rep.Changes) != 0 || rep.Already != 3 || len(rec.Events()) != 3 {
				t.Fatalf("replay: report %+v, err %v, %d events", rep, err, len(rec.Events()))
			}
			// The same vulnerability under its Go vulndb id is another
			// record: reported under that id, with the same artifacts.
			rep, err = d.Advisory(t.Context(), parse(t, "GO-2024-3333.json"), time.Time{})
			if err != nil || len(rep.Changes) != 3 {
				t.Fatalf("GO-2024-3333: report %+v, err %v", rep, err)
			}
		})
	}
}

func TestWithdrawnAndGitRecordsEmitNothing(t *testing.T) {
	t.Parallel()
	s := inventory.NewMemory()
	seedFleet(t, s, 50)
	if err := s.Record(t.Context(), inventory.Admission{DecisionID: "sessions", Digest: inventorytest.Digest("sessions"), Time: inventorytest.T0,
		Packages: []inventory.Package{{PURL: "pkg:golang/github.com/gorilla/sessions@v1.2.1"}, {PURL: "pkg:generic/poppler@20.0"}}}); err != nil {
		t.Fatal(err)
	}
	rec := audittest.NewRecorder()
	d, err := drift.New(s, rec)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := d.Advisory(t.Context(), parse(t, "GO-2024-2730-withdrawn.json"), time.Time{})
	if err != nil || !rep.Withdrawn || len(rep.Changes) != 0 {
		t.Errorf("withdrawn: %+v, %v", rep, err)
	}
	rep, err = d.Advisory(t.Context(), parse(t, "OSV-2020-111-git-range.json"), time.Time{})
	if err != nil || len(rep.Changes) != 0 || len(rep.Skipped) != 1 || !errors.Is(rep.Skipped[0].Err, drift.ErrGitRange) {
		t.Errorf("GIT range: %+v, %v", rep, err)
	}
	if n := len(rec.Events()); n != 0 {
		t.Errorf("%d events", n)
	}
}

func TestStoreErrorFailsClosed(t *testing.T) {
	t.Parallel()
	s := inventory.NewMemory()
	seedFleet(t, s, fleetSize)
	rec := audittest.NewRecorder()
	d, err := drift.New(s, rec)
	if err != nil {
		t.Fatal(err)
	}
	// A cancelled context makes the real store refuse to answer.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := d.Advisory(ctx, parse(t, "GHSA-w32m-9786-jp63.json"), time.Time{}); !errors.Is(err, drift.ErrStore) || !errors.Is(err, inventory.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrStore", err)
	}
	if _, err := d.RevokedBuilder(ctx, drift.Revocation{Builder: "https://ci.example/builder@v1"}, time.Time{}); !errors.Is(err, drift.ErrStore) {
		t.Fatalf("revocation: err = %v, want ErrStore", err)
	}
	if n := len(rec.Events()); n != 0 {
		t.Fatalf("%d events emitted although the store failed", n)
	}
}

func TestPostgresDownFailsClosed(t *testing.T) {
	t.Parallel()
	pg := itest.StartPostgres(t, 20)
	// The timeout bounds seeding the fleet too, which a loaded CI machine
	// took over 2 s for; once the server is killed, connections are
	// refused at once, so the bound does not make the refusal slower.
	s, err := pginventory.New(t.Context(), pgPool(t, pg), pginventory.WithTimeout(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	seedFleet(t, s, fleetSize)
	rec := audittest.NewRecorder()
	d, err := drift.New(s, rec)
	if err != nil {
		t.Fatal(err)
	}
	pg.Kill()
	if _, err := d.Advisory(t.Context(), parse(t, "GHSA-w32m-9786-jp63.json"), time.Time{}); !errors.Is(err, drift.ErrStore) || !errors.Is(err, inventory.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrStore", err)
	}
	if n := len(rec.Events()); n != 0 {
		t.Fatalf("%d events emitted although the store failed", n)
	}
}

func TestAuditErrorFailsClosedAndRetryCompletes(t *testing.T) {
	t.Parallel()
	s := inventory.NewMemory()
	seedFleet(t, s, fleetSize)
	rec := audittest.NewRecorder()
	var mu sync.Mutex
	writes := 0
	// The recorder fails from the second write on, as a sink that went
	// down mid-detection would.
	sink := audit.SinkFunc(func(ctx context.Context, e audit.Event) error {
		mu.Lock()
		writes++
		if writes == 2 {
			rec.Fail(errors.New("sink down"))
		}
		mu.Unlock()
		return rec.Write(ctx, e)
	})
	d, err := drift.New(s, sink)
	if err != nil {
		t.Fatal(err)
	}
	adv := parse(t, "GHSA-w32m-9786-jp63.json")
	rep, err := d.Advisory(t.Context(), adv, time.Time{})
	if !errors.Is(err, drift.ErrAudit) || !errors.Is(err, audit.ErrSink) || len(rep.Changes) != 1 {
		t.Fatalf("err = %v, %d changes; want ErrAudit after one", err, len(rep.Changes))
	}
	rec.Fail(nil)
	rep, err = d.Advisory(t.Context(), adv, time.Time{})
	if err != nil || len(rep.Changes) != 2 || rep.Already != 1 || len(rec.Events()) != 3 {
		t.Fatalf("retry: %+v, %v, %d events", rep, err, len(rec.Events()))
	}
}

func TestSeenSetIsBounded(t *testing.T) {
	t.Parallel()
	s := inventory.NewMemory()
	seedFleet(t, s, fleetSize)
	rec := audittest.NewRecorder()
	d, err := drift.New(s, rec, drift.WithSeenLimit(2))
	if err != nil {
		t.Fatal(err)
	}
	adv := parse(t, "GHSA-w32m-9786-jp63.json")
	if _, err := d.Advisory(t.Context(), adv, time.Time{}); err != nil {
		t.Fatal(err)
	}
	// Three changes do not fit in two places: the replay finds each one
	// forgotten in turn and reports it again, under the same event id,
	// which a de-duplicating sink records once.
	rep, err := d.Advisory(t.Context(), adv, time.Time{})
	if err != nil || len(rep.Changes) != 3 {
		t.Fatalf("%+v, %v", rep, err)
	}
	ids := map[string]int{}
	for _, e := range rec.Events() {
		ids[e.ID]++
	}
	if len(ids) != 3 || slices.ContainsFunc(slices.Collect(maps.Values(ids)), func(n int) bool { return n != 2 }) {
		t.Errorf("event ids %v", ids)
	}
}

func TestConcurrentDeliveriesEmitOnce(t *testing.T) {
	t.Parallel()
	s := inventory.NewMemory()
	seedFleet(t, s, fleetSize)
	rec := audittest.NewRecorder()
	d, err := drift.New(s, rec)
	if err != nil {
		t.Fatal(err)
	}
	adv := parse(t, "GHSA-w32m-9786-jp63.json")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := d.Advisory(context.Background(), adv, time.Time{}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := len(rec.Events()); n != 3 {
		t.Errorf("%d events, want 3", n)
	}
}

func TestArtifactAdmittedTwiceIsOneEvent(t *testing.T) {
	t.Parallel()
	s := inventory.NewMemory()
	dg := inventorytest.Digest("app")
	for i, v := range []string{"v0.30.0", "v0.30.0"} {
		if err := s.Record(t.Context(), inventory.Admission{DecisionID: "d" + strconv.Itoa(i), Digest: dg, Image: "app:" + strconv.Itoa(i),
			Time: inventorytest.T0.Add(time.Duration(i) * time.Hour), Packages: []inventory.Package{{PURL: "pkg:golang/golang.org/x/net@" + v}}}); err != nil {
			t.Fatal(err)
		}
	}
	rec := audittest.NewRecorder()
	d, err := drift.New(s, rec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Advisory(t.Context(), parse(t, "GHSA-w32m-9786-jp63.json"), time.Time{}); err != nil {
		t.Fatal(err)
	}
	ev := rec.Events()
	if len(ev) != 1 || ev[0].Attributes["decision_id"] != "d1" || ev[0].Attributes["decision_ids"] != "d1 d0" || ev[0].Attributes["image"] != "app:1" {
		t.Fatalf("events %+v", ev)
	}
}

func TestRevokedBuilder(t *testing.T) {
	t.Parallel()
	s := inventory.NewMemory()
	seedFleet(t, s, 100)
	rec := audittest.NewRecorder()
	d, err := drift.New(s, rec)
	if err != nil {
		t.Fatal(err)
	}
	// Builder v1 built admissions 1, 5, 9, …; revoked from admission 60's
	// time on: 61, 65, …, 97 → 10 artifacts.
	r := drift.Revocation{Builder: "https://ci.example/builder@v1", Since: fleetAdmission(60).Time, Reason: "signing key leaked"}
	rep, err := d.RevokedBuilder(t.Context(), r, time.Time{})
	if err != nil || len(rep.Changes) != 10 {
		t.Fatalf("%d changes, %v", len(rep.Changes), err)
	}
	for _, e := range rec.Events() {
		n, _ := strconv.Atoi(e.Attributes["decision_id"][len("decision-"):])
		if e.Action != drift.ActionBuilderRevoked || n < 60 || n%4 != 1 || e.Attributes["builder"] != r.Builder || e.Attributes["revoked_since"] == "" {
			t.Errorf("event %+v", e)
		}
	}
	if rep, err := d.RevokedBuilder(t.Context(), r, time.Time{}); err != nil || rep.Already != 10 || len(rep.Changes) != 0 {
		t.Errorf("replay: %+v, %v", rep, err)
	}
	if _, err := d.RevokedBuilder(t.Context(), drift.Revocation{}, time.Time{}); !errors.Is(err, drift.ErrInvalidInput) {
		t.Errorf("no builder: err = %v", err)
	}
}

// A revoked signer SAN (whatever its issuer) or key finds exactly the
// artifacts whose decisions relied on it, on every store.
func TestRevokedSignerOnEveryStore(t *testing.T) {
	t.Parallel()
	for _, st := range stores() {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			s := st.open(t)
			seedFleet(t, s, fleetSize)
			rec := audittest.NewRecorder()
			d, err := drift.New(s, rec)
			if err != nil {
				t.Fatal(err)
			}
			// SAN release@v3 signed for admissions 3, 8, 13, …; revoked
			// from admission 500's time on: 503 … 998 → 100 artifacts.
			r := drift.SignerRevocation{SAN: "https://ci.example/release@v3", Since: fleetAdmission(500).Time, Reason: "workflow compromised"}
			rep, err := d.RevokedSigner(t.Context(), r, time.Time{})
			if err != nil || len(rep.Changes) != 100 || rep.Cause != "san:"+r.SAN {
				t.Fatalf("%d changes, cause %q, %v", len(rep.Changes), rep.Cause, err)
			}
			for _, e := range rec.Events() {
				n, _ := strconv.Atoi(e.Attributes["decision_id"][len("decision-"):])
				if e.Action != drift.ActionSignerRevoked || n < 500 || n%5 != 3 || e.Attributes["revoked_san"] != r.SAN ||
					e.Attributes["signer_issuers"] != "https://issuer"+strconv.Itoa(n%2)+".example" || e.Outcome != audit.OutcomeFailure {
					t.Fatalf("event %+v", e)
				}
			}
			if rep, err := d.RevokedSigner(t.Context(), r, time.Time{}); err != nil || rep.Already != 100 || len(rep.Changes) != 0 {
				t.Fatalf("replay: %+v, %v", rep, err)
			}
			// A key: sbom-key-2 signed for i%7 == 2, 143 of 1,000.
			rep, err = d.RevokedSigner(t.Context(), drift.SignerRevocation{KeyID: "sbom-key-2"}, time.Time{})
			if err != nil || len(rep.Changes) != 143 || rep.Changes[0].Action != drift.ActionSignerRevoked {
				t.Fatalf("key: %d changes, %v", len(rep.Changes), err)
			}
			// A key id equal to a SAN is another cause and matches no SAN.
			if rep, err := d.RevokedSigner(t.Context(), drift.SignerRevocation{KeyID: r.SAN}, time.Time{}); err != nil || len(rep.Changes) != 0 {
				t.Fatalf("key named like a SAN: %+v, %v", rep, err)
			}
		})
	}
}

func TestRevokedSignerRefusesBadInput(t *testing.T) {
	t.Parallel()
	d, err := drift.New(inventory.NewMemory(), audittest.NewRecorder())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []drift.SignerRevocation{{}, {SAN: "a", KeyID: "b"}, {SAN: "a\nb"}, {KeyID: "k", Reason: "x\x00"}} {
		if _, err := d.RevokedSigner(t.Context(), r, time.Time{}); !errors.Is(err, drift.ErrInvalidInput) {
			t.Errorf("%+v: err = %v, want ErrInvalidInput", r, err)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := d.RevokedSigner(ctx, drift.SignerRevocation{SAN: "a"}, time.Time{}); !errors.Is(err, drift.ErrStore) {
		t.Errorf("store down: err = %v, want ErrStore", err)
	}
}

func TestNewRejectsMisuse(t *testing.T) {
	t.Parallel()
	s, sink := inventory.NewMemory(), audittest.NewRecorder()
	if _, err := drift.New(nil, sink); !errors.Is(err, drift.ErrConfig) {
		t.Errorf("nil store: %v", err)
	}
	if _, err := drift.New(s, nil); !errors.Is(err, drift.ErrConfig) {
		t.Errorf("nil sink: %v", err)
	}
	for i, o := range []drift.Option{nil, drift.WithLogger(nil), drift.WithObserver(nil), drift.WithClock(nil), drift.WithSeenLimit(0)} {
		if _, err := drift.New(s, sink, o); !errors.Is(err, drift.ErrConfig) {
			t.Errorf("option %d: err = %v, want ErrConfig", i, err)
		}
	}
	d, err := drift.New(s, sink)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Advisory(t.Context(), nil, time.Time{}); !errors.Is(err, drift.ErrInvalidInput) {
		t.Errorf("nil advisory: %v", err)
	}
}

func TestUnorderedVersionIsReportedAsPossiblyAffected(t *testing.T) {
	t.Parallel()
	s := inventory.NewMemory()
	// A module built from a checkout lists version "(devel)": it cannot be
	// ordered, so it may lie in the range and is reported, marked.
	if err := s.Record(t.Context(), inventory.Admission{DecisionID: "devel", Digest: inventorytest.Digest("devel"), Time: inventorytest.T0,
		Packages: []inventory.Package{{PURL: "pkg:golang/golang.org/x/net", Version: "(devel)"}}}); err != nil {
		t.Fatal(err)
	}
	rec := audittest.NewRecorder()
	d, err := drift.New(s, rec)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := d.Advisory(t.Context(), parse(t, "GHSA-w32m-9786-jp63.json"), time.Time{})
	if err != nil || len(rep.Changes) != 1 || !rep.Changes[0].Packages[0].Unordered || rec.Events()[0].Attributes["unordered_version"] != "true" {
		t.Fatalf("%+v, %v", rep, err)
	}
}

func TestTruncatedAnswerIsIncomplete(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("records 100,001 admissions")
	}
	s := inventory.NewMemory()
	for i := range inventory.MaxLimit + 1 {
		if err := s.Record(t.Context(), inventory.Admission{DecisionID: strconv.Itoa(i), Digest: inventorytest.Digest(strconv.Itoa(i)),
			Time: inventorytest.T0, Packages: []inventory.Package{{PURL: "pkg:golang/golang.org/x/net@v0.30.0"}}}); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	var mu sync.Mutex
	d, err := drift.New(s, audit.SinkFunc(func(context.Context, audit.Event) error { mu.Lock(); n++; mu.Unlock(); return nil }))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := d.Advisory(t.Context(), parse(t, "GHSA-w32m-9786-jp63.json"), time.Time{})
	if !errors.Is(err, drift.ErrIncomplete) || len(rep.Changes) != inventory.MaxLimit || n != inventory.MaxLimit {
		t.Fatalf("err = %v, %d changes, %d events; want ErrIncomplete after %d", err, len(rep.Changes), n, inventory.MaxLimit)
	}
}
