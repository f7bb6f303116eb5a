package gate

import (
	"runtime"
	"testing"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/verify"
)

func TestFactsMemoConvertsOnceAndForgetsCollectedResults(t *testing.T) {
	f := newFactsMemo()
	r := &verify.Result{Statement: &attest.Statement{PredicateType: attest.PredicateCycloneDX}, Signer: verify.SignerInfo{SAN: "https://ci.example/wf", Issuer: "https://ci.example"}}
	a, b := f.attestation(r), f.attestation(r)
	if a.PredicateType != attest.PredicateCycloneDX || a.Signer != b.Signer {
		t.Fatalf("memo answers %+v then %+v", a, b)
	}
	runtime.KeepAlive(r)
	r = nil
	// The memo holds no result alive: once the result is collected its
	// entry goes (cleanups run on their own goroutine, after a GC).
	for range 100 {
		runtime.GC()
		f.mu.Lock()
		n := len(f.m)
		f.mu.Unlock()
		if n == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the memo kept an entry for a collected result")
}

type leaseMarks map[string]bool

func (m leaseMarks) Compromised(id string) bool { return m[id] }

func TestMarkLeasesLeavesSharedFactsAlone(t *testing.T) {
	shared := &policy.SecretsProvenance{Credentials: []policy.Credential{{LeaseID: "lease-1"}, {LeaseID: "lease-2"}}}
	art := policy.Artifact{Attestations: []policy.Attestation{{SecretsProvenance: shared}}}
	Revocations{Leases: leaseMarks{"lease-2": true}}.markLeases(&art)
	got := art.Attestations[0].SecretsProvenance
	if got.Credentials[0].Compromised || !got.Credentials[1].Compromised {
		t.Fatalf("this decision's input: %+v", got.Credentials)
	}
	if shared.Credentials[1].Compromised {
		t.Fatal("the mark reached the facts other decisions share")
	}
	clean := policy.Artifact{Attestations: []policy.Attestation{{SecretsProvenance: shared}}}
	Revocations{Leases: leaseMarks{}}.markLeases(&clean)
	if clean.Attestations[0].SecretsProvenance != shared {
		t.Fatal("nothing marked, yet the facts were copied")
	}
}
