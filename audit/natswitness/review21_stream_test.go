package natswitness_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/audit/natswitness"
	"github.com/ztci/ztci/audit/witness"
	"github.com/ztci/ztci/internal/itest"
)

// TestReview21RefusesUnsafeCheckpointStream: the publisher and the
// follower used whatever stream of that name they found. A stream
// pre-created so that checkpoints can be erased (deletes, purges, rollup
// or TTL headers, evicting limits, interest or work-queue retention,
// memory storage or async persistence), pre-empted or filed under another
// node's subject (sources, a mirror, a subject transform, schedule
// headers, subjects outside the prefix sharing the de-duplication window),
// or that keeps only a node's latest checkpoints (a per-subject limit),
// lets a checkpoint vanish before the witness reads it. Publish must
// refuse each with ErrStream, publishing nothing, and Follow must refuse
// it creating no consumer.
func TestReview21RefusesUnsafeCheckpointStream(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	w := r21Witness(t)
	for name, edit := range map[string]func(*jetstream.StreamConfig){
		"interest":     func(c *jetstream.StreamConfig) { c.Retention = jetstream.InterestPolicy },
		"workqueue":    func(c *jetstream.StreamConfig) { c.Retention = jetstream.WorkQueuePolicy },
		"memory":       func(c *jetstream.StreamConfig) { c.Storage = jetstream.MemoryStorage },
		"asyncpersist": func(c *jetstream.StreamConfig) { c.PersistMode = jetstream.AsyncPersistMode },
		"discardold":   func(c *jetstream.StreamConfig) { c.Discard, c.MaxMsgs = jetstream.DiscardOld, 1000 },
		"discardbytes": func(c *jetstream.StreamConfig) { c.Discard, c.MaxBytes = jetstream.DiscardOld, 1<<20 },
		"latestonly":   func(c *jetstream.StreamConfig) { c.Discard, c.MaxMsgsPerSubject = jetstream.DiscardOld, 1 },
		"latestkept": func(c *jetstream.StreamConfig) {
			c.MaxMsgsPerSubject, c.DiscardNewPerSubject, c.MaxMsgs = 1, true, 1000
		},
		"delete":    func(c *jetstream.StreamConfig) { c.DenyDelete = false },
		"purge":     func(c *jetstream.StreamConfig) { c.DenyPurge = false },
		"rollup":    func(c *jetstream.StreamConfig) { c.AllowRollup, c.DenyPurge = true, false },
		"msgttl":    func(c *jetstream.StreamConfig) { c.AllowMsgTTL = true },
		"schedules": func(c *jetstream.StreamConfig) { c.AllowMsgSchedules, c.Discard = true, jetstream.DiscardOld }, // the server requires discard old
		"sources":   func(c *jetstream.StreamConfig) { c.Sources = []*jetstream.StreamSource{{Name: "R21_NONE"}} },
		"mirror":    func(c *jetstream.StreamConfig) { c.Subjects, c.Mirror = nil, &jetstream.StreamSource{Name: "R21_NONE"} },
		"transform": func(c *jetstream.StreamConfig) {
			c.SubjectTransform = &jetstream.SubjectTransformConfig{Source: c.Subjects[0], Destination: c.Subjects[0][:len(c.Subjects[0])-1] + "t.>"}
		},
		"wider": func(c *jetstream.StreamConfig) { c.Subjects = append(c.Subjects, "r21elsewhere.>") },
	} {
		t.Run(name, func(t *testing.T) {
			prefix := "r21." + name
			sc := natswitness.StreamConfig("R21_"+name, prefix, 1)
			edit(&sc)
			st, err := js.CreateStream(ctx, sc)
			if err != nil {
				t.Fatal(err)
			}
			if err := natswitness.CheckStream(sc, prefix); !errors.Is(err, natswitness.ErrStream) {
				t.Errorf("CheckStream: %v, want ErrStream", err)
			}
			l := openLog(t, filepath.Join(t.TempDir(), "audit.log"), 1, 0, 2)
			p, err := natswitness.NewPublisher(js, sc.Name, l, natswitness.WithSubjectPrefix(prefix))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Publish(ctx); !errors.Is(err, natswitness.ErrStream) || !errors.Is(err, natswitness.ErrConfig) {
				t.Errorf("Publish to a %s stream: %v, want ErrStream", name, err)
			}
			f, err := natswitness.Follow(ctx, js, sc.Name, w, natswitness.WithSubjectPrefix(prefix))
			if err == nil {
				f.Close()
			}
			if !errors.Is(err, natswitness.ErrStream) {
				t.Errorf("Follow of a %s stream: %v, want ErrStream", name, err)
			}
			info, err := st.Info(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if info.State.Msgs != 0 || info.State.Consumers != 0 {
				t.Errorf("the refused stream holds %d message(s), %d consumer(s)", info.State.Msgs, info.State.Consumers)
			}
		})
	}
}

// StreamConfig passes the check, and so do the operator's retention
// choices that fail loudly rather than erase: a max age (an expired
// checkpoint reads as a gap, flagged) and limits with discard new (a full
// stream refuses checkpoints). Publishing and following such a stream
// work.
func TestReview21AcceptsSafeCheckpointStream(t *testing.T) {
	if err := natswitness.CheckStream(natswitness.StreamConfig("C", natswitness.DefaultSubjectPrefix, 3), natswitness.DefaultSubjectPrefix); err != nil {
		t.Errorf("StreamConfig: %v", err)
	}
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	sc := natswitness.StreamConfig(stream, natswitness.DefaultSubjectPrefix, 1)
	sc.MaxAge, sc.MaxMsgs, sc.MaxBytes, sc.AllowDirect = 24*time.Hour, 1000, 1<<20, true
	if _, err := js.CreateStream(ctx, sc); err != nil {
		t.Fatal(err)
	}
	l := openLog(t, filepath.Join(t.TempDir(), "audit.log"), 1, 0, 2)
	p, err := natswitness.NewPublisher(js, stream, l)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Publish(ctx); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	w := r21Witness(t)
	f, err := natswitness.Follow(ctx, js, stream, w)
	if err != nil {
		t.Fatalf("Follow: %v", err)
	}
	f.Close()
}

// r21Witness returns a witness of node 1 with its state in memory.
func r21Witness(t *testing.T) *witness.Witness {
	t.Helper()
	v, err := audit.NewVerifier(originOf(1), nodeKey(1).Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	w, err := witness.New([]*audit.Verifier{v}, witness.NewMemoryStore(), audittest.NewRecorder())
	if err != nil {
		t.Fatal(err)
	}
	return w
}
