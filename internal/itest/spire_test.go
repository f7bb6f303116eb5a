package itest_test

import (
	"testing"

	"github.com/ztci/ztci/internal/itest"
)

// TestStartSPIRE: the agent attests against the server, and an entry for
// this process's user reaches the agent's Workload API as an X.509-SVID.
func TestStartSPIRE(t *testing.T) {
	s := itest.StartSPIRE(t, "ci.test")
	id := "spiffe://ci.test/job/build"
	if entry := s.CreateEntry(t, itest.Entry{SPIFFEID: id, Selectors: []string{itest.UIDSelector()}}); entry == "" {
		t.Fatal("no entry id")
	}
	s.WaitX509SVID(t, id)
}
