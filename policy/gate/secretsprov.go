package gate

import (
	"slices"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/secretsprov"
	"github.com/ztci/ztci/policy"
)

// SecretsProvenance hands policy what a verified secrets provenance
// statement (attest/secretsprov) says: the job that built the artifact, its
// ref and whether that ref is protected, and every credential the job
// received (lease id, backend, secret name, release decision, times). A
// predicate that does not read strictly yields nil, which the built-in
// policy treats as unreadable (deploy.secrets_provenance_unreadable: deny),
// never as "no credentials". Compromised is false here: the gate sets it
// from its revocation store on every decision ([Revocations].Leases).
func SecretsProvenance(st *attest.Statement) *policy.SecretsProvenance {
	p, err := secretsprov.Parse(st.Predicate)
	if err != nil {
		return nil
	}
	j := p.Job
	out := &policy.SecretsProvenance{
		Job: policy.BuildJob{ID: j.ID, Identity: j.Identity, SPIFFEID: j.SPIFFEID, Repository: j.Repository,
			Ref: j.Ref, RefProtected: j.RefProtected, RunID: j.RunID},
		Credentials: make([]policy.Credential, len(p.Credentials)),
	}
	for i, c := range p.Credentials {
		pc := policy.Credential{LeaseID: c.LeaseID, Backend: c.Backend, Secret: c.Secret, DecisionID: c.DecisionID,
			PolicyRevision: c.PolicyRevision, IssuedAt: c.IssuedOn.UTC().Format(time.RFC3339Nano)}
		if c.RevokedOn != nil {
			pc.RevokedAt = c.RevokedOn.UTC().Format(time.RFC3339Nano)
		}
		out.Credentials[i] = pc
	}
	return out
}

// markLeases sets Compromised on every credential of art's secrets
// provenances whose lease id the Leases checker reports, so the deploy
// rules deny the build naming the lease (deploy.credential_compromised).
// It runs on every decision, after any cache, like the other revocations.
func (r Revocations) markLeases(art *policy.Artifact) {
	if r.Leases == nil {
		return
	}
	for i := range art.Attestations {
		sp := art.Attestations[i].SecretsProvenance
		if sp == nil {
			continue
		}
		// The facts are shared with other decisions (factsMemo): mark a
		// copy, so a mark reaches this decision's input and nothing else.
		var marked *policy.SecretsProvenance
		for j, c := range sp.Credentials {
			if !r.Leases.Compromised(c.LeaseID) {
				continue
			}
			if marked == nil {
				cp := *sp
				cp.Credentials = slices.Clone(sp.Credentials)
				marked = &cp
			}
			marked.Credentials[j].Compromised = true
		}
		if marked != nil {
			art.Attestations[i].SecretsProvenance = marked
		}
	}
}
