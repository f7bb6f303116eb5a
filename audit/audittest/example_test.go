package audittest_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/audittest"
)

// grant stands for a component that must audit: it fails closed when the
// audit sink fails.
func grant(ctx context.Context, sink audit.Sink) error {
	if err := sink.Write(ctx, ev("grant-1")); err != nil {
		return fmt.Errorf("denied: cannot audit: %w", err)
	}
	return nil
}

func ExampleRecorder() {
	ctx := context.Background()
	rec := audittest.NewRecorder()
	fmt.Println(grant(ctx, rec), rec.Actions())
	rec.Fail(errors.New("audit down"))
	fmt.Println(grant(ctx, rec) != nil)
	// Output:
	// <nil> [test.act]
	// true
}
