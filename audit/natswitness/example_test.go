package natswitness_test

import (
	"errors"
	"fmt"

	"github.com/ztci/ztci/audit/natswitness"
)

// Every node publishes under its own subject; grant it publish permission
// there only. The stream keeps every checkpoint and refuses deletes.
func ExampleStreamConfig() {
	cfg := natswitness.StreamConfig("CHECKPOINTS", natswitness.DefaultSubjectPrefix, 3)
	fmt.Println(cfg.Subjects, cfg.Replicas, "replicas; deny delete:", cfg.DenyDelete, "purge:", cfg.DenyPurge)
	fmt.Println(natswitness.Subject(natswitness.DefaultSubjectPrefix, "example.com/ztci/audit/node-1"))
	// Output:
	// [ztci.checkpoints.>] 3 replicas; deny delete: true purge: true
	// ztci.checkpoints.ZXhhbXBsZS5jb20venRjaS9hdWRpdC9ub2RlLTE
}

// Create the checkpoint stream from StreamConfig, which passes. A stream
// made otherwise (by an operator, or edited later) is checked the same
// way before it is trusted: Publisher.Publish and Follow check it too.
// One that lets a checkpoint be evicted or erased is refused with
// ErrStream, naming every setting at fault.
func ExampleCheckStream() {
	prefix := natswitness.DefaultSubjectPrefix
	cfg := natswitness.StreamConfig("CHECKPOINTS", prefix, 3)
	fmt.Println("recommended:", natswitness.CheckStream(cfg, prefix))

	cfg.MaxMsgsPerSubject = 1 // keep only each node's latest: its chain is lost
	cfg.AllowRollup = true    // one node's rollup erases the others' checkpoints
	err := natswitness.CheckStream(cfg, prefix)
	fmt.Println("refused:", errors.Is(err, natswitness.ErrStream))
	fmt.Println(err)
	// Output:
	// recommended: <nil>
	// refused: true
	// natswitness: invalid configuration: checkpoint stream unsafe: stream CHECKPOINTS: rollup headers let a publisher purge checkpoints; max msgs per subject 1 evicts or refuses a node's checkpoints past the limit
}
