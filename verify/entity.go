package verify

import (
	"sync"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
)

// parsedEntity is a bundle whose parsed parts are computed once for one
// verification: sigstore-go's accessors re-parse the log entries (Rekor
// bodies), certificate and envelope on every call, and its verifier calls
// them several times. The bundle does not change during a call, so the
// answers are the same; only the work is saved.
type parsedEntity struct {
	*bundle.Bundle
	vc sgverify.VerificationContent
	sc sgverify.SignatureContent

	tlogOnce sync.Once
	entries  []*tlog.Entry
	tlogErr  error
}

var _ sgverify.SignedEntity = (*parsedEntity)(nil)

func (p *parsedEntity) VerificationContent() (sgverify.VerificationContent, error) { return p.vc, nil }

func (p *parsedEntity) SignatureContent() (sgverify.SignatureContent, error) { return p.sc, nil }

func (p *parsedEntity) TlogEntries() ([]*tlog.Entry, error) {
	p.tlogOnce.Do(func() { p.entries, p.tlogErr = p.Bundle.TlogEntries() })
	return p.entries, p.tlogErr
}
