package policy_test

import (
	"testing"
	"time"

	"github.com/ztci/ztci/policy"
)

// TestReview38VEXLastUpdated: the deploy rules dated a VEX statement by its
// timestamp only, and OpenVEX's last_updated (when the statement was last
// changed) never reached them. A signer who re-confirms "affected" updates
// last_updated, not timestamp, so an "affected" re-confirmed after a
// not_affected dated in between lost to it, and the finding was lifted. A
// contrary statement now cancels a lift unless it is older by both
// readings of the dates: by timestamp, and by last change (the later of
// timestamp and last_updated); a tie cancels, and a last_updated that is
// not a readable time (in the future beyond the clock skew, impossible,
// not RFC 3339) leaves the statement without a time (it lifts nothing; a
// contrary one cancels every lift).
func TestReview38VEXLastUpdated(t *testing.T) {
	t.Parallel()
	cfg := acmeConfig()
	cfg.Deploy.DenySeverity = "high"
	cfg.Deploy.VEXSigners = []policy.AllowedSigner{{SAN: psirtWF, Issuer: ghIssuer}}
	e := newConfigured(t, cfg)

	base := time.Now().Add(-24 * time.Hour).UTC().Truncate(time.Second)
	at := func(h int) string { return base.Add(time.Duration(h) * time.Hour).Format(time.RFC3339) }
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	withinSkew := time.Now().Add(time.Minute).UTC().Format(time.RFC3339)
	// deployInput's finding: CVE-2025-0001 in pkg:golang/golang.org/x/net@v0.1.0.
	lift := func(ts, lu string) policy.VEXStatement {
		return policy.VEXStatement{Vulnerability: "CVE-2025-0001", Status: "not_affected",
			Justification: "vulnerable_code_not_in_execute_path", Timestamp: ts, LastUpdated: lu}
	}
	affected := func(ts, lu string) policy.VEXStatement {
		return policy.VEXStatement{Vulnerability: "CVE-2025-0001", Status: "affected", Timestamp: ts, LastUpdated: lu}
	}
	with := func(ss ...policy.VEXStatement) policy.Input {
		in := deployInput()
		in.Artifacts[0].Attestations = append(in.Artifacts[0].Attestations, vexAttestation(ss...))
		return in
	}
	for _, tc := range []struct {
		name  string
		stmts []policy.VEXStatement
		allow bool
	}{
		// The hole.
		{"affected re-confirmed by last_updated after an in-between not_affected", []policy.VEXStatement{affected(at(1), at(3)), lift(at(2), "")}, false},
		{"in document order the other way", []policy.VEXStatement{lift(at(2), ""), affected(at(1), at(3))}, false},
		{"under_investigation re-confirmed", []policy.VEXStatement{{Vulnerability: "CVE-2025-0001", Status: "under_investigation", Timestamp: at(1), LastUpdated: at(3)}, lift(at(2), "")}, false},
		// A not_affected re-confirmed after the affected's last change
		// lifts again.
		{"not_affected re-confirmed after the affected's last change", []policy.VEXStatement{affected(at(1), at(3)), lift(at(2), at(4))}, true},
		{"affected older by both dates", []policy.VEXStatement{affected(at(1), at(2)), lift(at(3), "")}, true},
		{"no last_updated anywhere, affected earlier", []policy.VEXStatement{affected(at(1), ""), lift(at(2), "")}, true},
		// A later last_updated does not help a lifting statement whose
		// timestamp is not later than the contrary one's.
		{"not_affected with an earlier timestamp, re-confirmed later", []policy.VEXStatement{affected(at(2), ""), lift(at(1), at(4))}, false},
		// Ties cancel.
		{"tie on the last change", []policy.VEXStatement{affected(at(1), at(3)), lift(at(2), at(3))}, false},
		{"last change tied with the other's timestamp", []policy.VEXStatement{affected(at(1), at(3)), lift(at(3), "")}, false},
		{"tie on timestamp, lift updated later", []policy.VEXStatement{affected(at(2), ""), lift(at(2), at(4))}, false},
		// A last_updated before the timestamp says nothing newer: the
		// later of the two is the last change.
		{"contrary last_updated before its timestamp", []policy.VEXStatement{affected(at(2), at(0)), lift(at(3), "")}, true},
		{"lifting last_updated before its timestamp", []policy.VEXStatement{affected(at(1), ""), lift(at(3), at(0))}, true},
		// A last_updated in the future gains nothing: the statement has no
		// readable time.
		{"not_affected updated in the future, alone", []policy.VEXStatement{lift(at(2), future)}, false},
		{"not_affected updated in the future, against an older affected", []policy.VEXStatement{affected(at(1), ""), lift(at(2), future)}, false},
		{"not_affected updated in the future, against an affected re-confirmed", []policy.VEXStatement{affected(at(1), at(3)), lift(at(2), future)}, false},
		{"affected updated in the future", []policy.VEXStatement{affected(at(1), future), lift(at(2), "")}, false},
		{"not_affected updated within the clock skew", []policy.VEXStatement{affected(at(1), at(3)), lift(at(2), withinSkew)}, true},
		{"not_affected updated within the clock skew, alone", []policy.VEXStatement{lift(at(2), withinSkew)}, true},
	} {
		if tc.allow {
			wantAllow(t, e, tc.name, with(tc.stmts...))
		} else {
			wantDeny(t, e, tc.name, with(tc.stmts...), "deploy.vulnerability")
		}
	}
	// A last_updated that is not a readable time: the statement lifts
	// nothing, and a contrary one cancels every lift.
	for _, lu := range []string{"soon", "2026-02-29T00:00:00Z", "2026-11-31T00:00:00Z", "0001-01-01T00:00:00Z", "2099-01-01T00:00:00Z"} {
		wantDeny(t, e, "lifting, last_updated "+lu, with(lift(at(2), lu)), "deploy.vulnerability")
		wantDeny(t, e, "contrary, last_updated "+lu, with(affected(at(1), lu), lift(at(2), "")), "deploy.vulnerability")
	}
}
