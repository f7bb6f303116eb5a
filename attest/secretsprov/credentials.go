package secretsprov

import "github.com/ztci/ztci/secrets"

// Credentials returns the credentials of the leases a secrets.LeaseLedger
// recorded for one job (ledger.Job(jobID)): the one conversion from the
// broker's lease facts to this predicate. A live lease has no RevokedOn.
func Credentials(facts []secrets.LeaseFact) []Credential {
	out := make([]Credential, len(facts))
	for i, f := range facts {
		out[i] = Credential{LeaseID: f.LeaseID, Backend: f.Backend, Secret: f.Secret, DecisionID: f.DecisionID,
			PolicyRevision: f.PolicyRevision, IssuedOn: f.IssuedAt.UTC()}
		if !f.RevokedAt.IsZero() {
			t := f.RevokedAt.UTC()
			out[i].RevokedOn = &t
		}
	}
	return out
}
