package audittest_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
)

func ev(id string) audit.Event {
	return audit.Event{ID: id, Time: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC), Source: "ztci/test",
		Action: "test.act", Outcome: audit.OutcomeAllow, Actor: audit.Actor{ID: "a", Claims: map[string]string{"k": "v"}}}
}

func TestRecorder(t *testing.T) {
	t.Parallel()
	r := audittest.NewRecorder()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if err := r.Write(t.Context(), ev(fmt.Sprint(i))); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if len(r.Events()) != 20 || len(r.Actions()) != 20 {
		t.Fatalf("%d events", len(r.Events()))
	}
	r.Events()[0].Actor.Claims["k"] = "mutated"
	if r.Events()[0].Actor.Claims["k"] != "v" {
		t.Error("Events shares maps with the recorder")
	}
	boom := errors.New("audit down")
	r.Fail(boom)
	if err := r.Write(t.Context(), ev("x")); !errors.Is(err, boom) || !errors.Is(err, audit.ErrSink) {
		t.Errorf("got %v", err)
	}
	r.Fail(nil)
	r.Reset()
	if err := r.Write(t.Context(), audit.Event{}); !errors.Is(err, audit.ErrInvalidEvent) {
		t.Errorf("invalid event: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := r.Write(ctx, ev("y")); !errors.Is(err, audit.ErrSink) {
		t.Errorf("cancelled: %v", err)
	}
	if len(r.Events()) != 0 {
		t.Error("failed writes recorded")
	}
}
