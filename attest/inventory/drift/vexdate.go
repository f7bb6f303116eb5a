package drift

import (
	"strings"
	"time"

	"github.com/ztci/ztci/attest/vex"
)

// maxVEXClockSkew is how far in the future a VEX date may lie and still
// be read, as the deploy policy's lib.signed_time_ns allows
// (max_clock_skew_ns).
const maxVEXClockSkew = 5 * time.Minute

// vexDate is a VEX statement's dates as the deploy policy reads them
// (deploy_vuln.rego: vex_time, vex_changed, dated): at is its timestamp,
// changed its last change (the later of timestamp and last_updated), and
// dated whether both are readable (neither later than now plus the clock
// skew). An undated statement lifts nothing and, contrary, blocks every
// lift.
type vexDate struct {
	at, changed time.Time
	dated       bool
}

// vexDateOf is the one home of the deploy policy's VEX date rule in Go:
// st's dates at now. st.LastUpdated is the statement's own, else its
// document's ([StatementsOf] hands it on); zero when neither has one.
func vexDateOf(st vex.Statement, now time.Time) vexDate {
	d := vexDate{at: st.Timestamp, changed: st.Timestamp, dated: !st.Timestamp.IsZero()}
	limit := now.Add(maxVEXClockSkew)
	if st.Timestamp.After(limit) {
		d.dated = false
	}
	if !st.LastUpdated.IsZero() {
		if st.LastUpdated.After(limit) {
			d.dated = false
		}
		if st.LastUpdated.After(d.changed) {
			d.changed = st.LastUpdated
		}
	}
	return d
}

// older reports whether contrary statement t is older than lifting
// statement s by both readings of their dates, so that s may win (the
// policy's older(t, s)): a tie, or a time either lacks, and t wins.
func (t vexDate) older(s vexDate) bool {
	return t.dated && s.dated && t.at.Before(s.at) && t.changed.Before(s.changed)
}

// key is the dates as part of an event id: a statement re-confirmed
// (a later last_updated) is another event than its first version.
func (t vexDate) key() string {
	return t.at.UTC().Format(time.RFC3339Nano) + "/" + t.changed.UTC().Format(time.RFC3339Nano)
}

// contraryMark sums up the contrary statements (affected,
// under_investigation) this Detector applied about one vulnerability id
// of one artifact as one date: the latest timestamp, the latest last
// change, and dated only when all of them are. Some of them is not older
// than lifting statement s exactly when the mark is not (!m.older(s)).
type contraryMark = vexDate

// join sums t up into m (a new mark is the zero vexDate, dated).
func (m *contraryMark) join(t vexDate) {
	m.dated = m.dated && t.dated
	if t.at.After(m.at) {
		m.at = t.at
	}
	if t.changed.After(m.changed) {
		m.changed = t.changed
	}
}

// anyArtifact is the digest under which a contrary statement is recorded
// when it may be about artifacts the index could not name (a product
// without a digest or a package URL, an answer cut at the limit): it
// blocks the lifts of every artifact, as the gate reads a product it
// cannot place as possibly about the artifact.
const anyArtifact = "*"

func contraryKey(digest, id string) string {
	return digest + "\x00" + strings.ToUpper(id)
}

// recordContrary enters t's dates for every id under every digest.
func (d *Detector) recordContrary(digests, ids []string, t vexDate) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, digest := range digests {
		for _, id := range ids {
			if id == "" {
				continue
			}
			k := contraryKey(digest, id)
			m, ok := d.contrary[k]
			if !ok {
				m = &contraryMark{dated: true}
				if len(d.contraryOrder) < d.cfg.seenLimit {
					d.contraryOrder = append(d.contraryOrder, k)
				} else {
					delete(d.contrary, d.contraryOrder[d.contraryHead])
					d.contraryOrder[d.contraryHead] = k
					d.contraryHead = (d.contraryHead + 1) % len(d.contraryOrder)
				}
				d.contrary[k] = m
			}
			m.join(t)
		}
	}
}

// blocked reports whether a contrary statement this Detector applied
// about one of ids, for digest or for any artifact, is not older than s.
func (d *Detector) blocked(digest string, ids []string, s vexDate) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, at := range []string{digest, anyArtifact} {
		for _, id := range ids {
			if m, ok := d.contrary[contraryKey(at, id)]; ok && !m.older(s) {
				return true
			}
		}
	}
	return false
}

// StatementsOf are the statements of a verified OpenVEX document as
// [Detector.VEX] takes them: each with its own last_updated, else the
// document's (the spec's inheritance, as the gate hands dates to the deploy
// policy). Feed statements read otherwise and a document-level
// last_updated, which may re-confirm an "affected", is not seen.
func StatementsOf(doc *vex.Document) []vex.Statement {
	if doc == nil {
		return nil
	}
	out := make([]vex.Statement, len(doc.Statements))
	for i, st := range doc.Statements {
		if st.LastUpdated.IsZero() {
			st.LastUpdated = doc.LastUpdated
		}
		out[i] = st
	}
	return out
}
