package natswitness_test

import (
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
