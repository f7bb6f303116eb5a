package natskill_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit/audittest"
	"github.com/ztci/ztci/audit/natskill"
	"github.com/ztci/ztci/internal/itest"
)

// Nothing bounded the marks a switch held: whoever could write the bucket
// (or a detector fed events an attacker provokes) could flood it with
// marks of up to ~20 KiB each until every replica ran out of memory. A
// switch now holds at most WithMaxMarks; Mark of a new identity past it is
// refused, and a bucket holding more (written by a replica with a larger
// bound, or by hand) makes the switch deny every identity rather than
// drop a mark, until a rebuilt view fits again.
func TestReview38MaxMarksBoundsView(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	ctx := t.Context()
	rec := audittest.NewRecorder()
	open := func(opts ...natskill.Option) *natskill.Switch {
		js := connect(t, c.URLs())
		s := itest.Create(t, "kill-switch bucket", func(ctx context.Context) (*natskill.Switch, error) {
			return natskill.New(ctx, js, rec, append([]natskill.Option{natskill.WithBucket("flood"), natskill.WithStaleAfter(200 * time.Millisecond)}, opts...)...)
		})
		t.Cleanup(func() { s.Close() })
		return s
	}
	small, big := open(natskill.WithMaxMarks(3)), open()
	id := func(i int) string { return fmt.Sprintf("spiffe://example.org/job-%d", i) }
	const bystander = "spiffe://example.org/bystander"
	for i := range 3 {
		waitFor(t, 10*time.Second, func() bool { return retrying(small.Mark(ctx, natskill.KindJob, id(i), "alert", "test", time.Time{})) })
	}
	// Re-asserting a held mark adds no key: allowed at the bound.
	if err := small.Mark(ctx, natskill.KindJob, id(0), "alert again", "test", time.Time{}); err != nil {
		t.Fatalf("re-mark at the bound: %v", err)
	}
	if err := small.Mark(ctx, natskill.KindJob, id(3), "alert", "test", time.Time{}); !errors.Is(err, natskill.ErrTooManyMarks) {
		t.Fatalf("mark past the bound: %v, want ErrTooManyMarks", err)
	}
	if err := small.Check(natskill.KindJob, bystander); err != nil {
		t.Fatalf("a refused mark must not take the switch past its bound: %v", err)
	}
	// Another replica, with a larger bound, writes a fourth mark: the
	// small switch cannot hold it and must not let it through.
	if err := big.Mark(ctx, natskill.KindJob, id(3), "alert", "test", time.Time{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, func() bool {
		return errors.Is(small.Check(natskill.KindJob, bystander), natskill.ErrTooManyMarks)
	})
	for _, tc := range []struct {
		name string
		id   string
	}{
		{name: "held", id: id(0)},
		{name: "dropped", id: id(3)},
		{name: "unmarked", id: bystander},
	} {
		if err := small.Check(natskill.KindJob, tc.id); err == nil || !small.Compromised(tc.id) {
			t.Errorf("%s: the overflowed switch allowed %q (%v)", tc.name, tc.id, err)
		}
	}
	// Once the bucket fits again, a rebuilt view decides again.
	if err := big.Clear(ctx, natskill.KindJob, id(1), "false positive", "oncall"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, func() bool { return small.Check(natskill.KindJob, bystander) == nil })
	if !errors.Is(small.Check(natskill.KindJob, id(3)), natskill.ErrCompromised) {
		t.Errorf("the mark the overflowed switch dropped does not deny after the rebuild")
	}
}

func TestReview38MaxMarksOption(t *testing.T) {
	t.Parallel()
	js, _ := jetstream.New(&nats.Conn{})
	for _, tc := range []struct {
		name string
		n    int
	}{
		{name: "zero", n: 0},
		{name: "negative", n: -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := natskill.New(t.Context(), js, audittest.NewRecorder(), natskill.WithMaxMarks(tc.n)); !errors.Is(err, natskill.ErrConfig) {
				t.Errorf("WithMaxMarks(%d): %v, want ErrConfig", tc.n, err)
			}
		})
	}
}
