package natsanomaly_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit/natsanomaly"
	"github.com/ztci/ztci/internal/itest"
)

// TestCheckWithSubjectFilter: with WithSubjects, Check asks the stream
// leader for the newest event under the filters: events of other subjects
// never hold it back, and an event under the filter that the feeder has not
// examined yet does.
func TestCheckWithSubjectFilter(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: "AUDIT", Subjects: []string{"ztci.audit.>"}, AllowDirect: true,
		DenyDelete: true, DenyPurge: true,
	}); err != nil {
		t.Fatal(err)
	}
	publish := func(subject, id string) {
		t.Helper()
		data := []byte(`{"id":"` + id + `","time":"2026-12-01T10:00:00Z","source":"ztci/gate","action":"gate.admit","outcome":"allow","actor":{"id":"spiffe://acme/ci/job"},"resource":"prod"}`)
		if _, err := js.Publish(ctx, subject, data); err != nil {
			t.Fatal(err)
		}
	}
	publish("ztci.audit.acme", "a-1")
	publish("ztci.audit.other", "o-1")

	f, err := natsanomaly.New(js, "AUDIT", &collector{}, natsanomaly.WithSubjects("ztci.audit.acme"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Check(ctx); !errors.Is(err, natsanomaly.ErrNotRunning) {
		t.Fatalf("Check before Run: %v, want ErrNotRunning", err)
	}
	run(t, f)
	caughtUp(t, f, 15*time.Second)
	if st := f.Stats(); st.Fed != 1 || st.Undecodable != 0 {
		t.Fatalf("stats %+v: want the one event under the filter fed", st)
	}
	publish("ztci.audit.other", "o-2") // outside the filter: nothing to examine
	if err := f.Check(ctx); err != nil {
		t.Fatalf("Check after an event outside the filter: %v", err)
	}
	publish("ztci.audit.acme", "a-2")
	caughtUp(t, f, 15*time.Second)
	if st := f.Stats(); st.Fed != 2 {
		t.Fatalf("stats %+v: want 2 fed", st)
	}
}
