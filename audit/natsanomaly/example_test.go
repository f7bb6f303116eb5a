package natsanomaly_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/natsanomaly"
)

// Example wires a feeder and shows its fail-closed side offline: with no
// NATS server answering, Run reports the stream unavailable instead of
// running quietly. The tests run it against a real 3-node cluster.
func Example() {
	// In production: nats.Connect with the cluster's tls:// URLs,
	// nats.RootCAs and the feeder's own credentials (see natskill's Example).
	nc, err := nats.Connect("nats://127.0.0.1:1", nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1))
	if err != nil {
		panic(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		panic(err)
	}
	// In production: a natsink sink, a log, an alerting sink.
	anomalies := audit.SinkFunc(func(_ context.Context, e audit.Event) error {
		fmt.Println("anomaly:", e.Reason)
		return nil
	})
	feeder, err := natsanomaly.New(js, "AUDIT", anomalies,
		natsanomaly.WithDetector(audit.WithLearning(20), audit.WithBurst(100, time.Minute)))
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err = feeder.Run(ctx) // blocks until ctx is done while the stream answers
	fmt.Println("stream unavailable:", errors.Is(err, natsanomaly.ErrUnavailable))
	fmt.Println("caught up:", feeder.Check(context.Background()) == nil)
	// Output:
	// stream unavailable: true
	// caught up: false
}
