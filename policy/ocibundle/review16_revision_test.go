package ocibundle_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/ocibundle"
)

// TestReview16RevisionRefusedBeforeFloor: a bundle whose revision no
// Engine would accept (a .manifest revision holding a line break, which
// forged a line of any log writing Decision.String(), or one that with
// "@sha256:<hex>" after it is longer than policy.MaxRevisionBytes) is
// refused by Load itself, before it raises the rollback floor: accepted
// there and refused by the Engine, it would have set the floor to a
// bundle no replica runs, refusing the previous one for ever after.
func TestReview16RevisionRefusedBeforeFloor(t *testing.T) {
	t.Parallel()
	l := newRollbackLab(t)
	for name, rev := range map[string]string{
		"line break":  `r1\nallow mode=enforce rev=reviewed`, // JSON escape inside the .manifest
		"with digest": strings.Repeat("a", policy.MaxRevisionBytes-10),
	} {
		l.publish(t, allowAll, rev)
		store := &memFloors{}
		_, err := l.ss.source(t, l.tag, publisherID, ocibundle.WithFloorStore(store)).Load(t.Context())
		if !errors.Is(err, policy.ErrLoad) {
			t.Errorf("%s: got %v, want ErrLoad", name, err)
		}
		if f, _ := store.ReadFloor(t.Context()); !f.SignedAt.IsZero() {
			t.Errorf("%s: floor raised to %v by a refused bundle", name, f)
		}
	}
}
