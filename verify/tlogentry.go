package verify

import (
	"bytes"
	"crypto"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/go-openapi/runtime"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	rekortilespb "github.com/sigstore/rekor-tiles/v2/pkg/generated/protobuf"
	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/rekor/pkg/types"
	"github.com/sigstore/sigstore-go/pkg/root"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/verify/internal/checkpoint"
)

// checkLogEntries holds each transparency-log entry of a bundle to what
// sigstore-go verifies but does not bind (it runs after sigstore-go parsed
// the bundle, so every body is a Rekor v1 or v2 entry):
//
//   - kindVersion must be the body's kind and apiVersion: sigstore-go takes
//     both from kindVersion, never the body, and compares them with
//     themselves.
//   - An inclusion proof must be of the tree its checkpoint states: the
//     checkpoint's size and root hash, an index inside it. For a Rekor v1
//     proof sigstore-go checks the checkpoint's signature and root hash
//     but computes the proof for the tree size and index the proof states,
//     so a lying log (or anyone holding one of its proofs) could restate
//     them. A Rekor v2 proof is computed for the checkpoint's size and the
//     entry's index, and the proof's own fields must say the same.
//   - A proof must be of the body: sigstore-go picks Rekor v1 or v2
//     verification by the checkpoint's origin, not the body. For a Rekor v2
//     body it proves an entry rebuilt from the bundle and never reads the
//     body, which could then name another signature, key or digest than
//     the one logged; here the body's own leaf must be the one the proof
//     leads to the signed root from. A Rekor v1 body must come with a Rekor
//     v1 checkpoint (else sigstore-go proves a rebuilt v2 entry and the
//     body is unlogged text), and a v2 body with a v2 checkpoint.
//
// Errors are ErrTlog. No signature is verified here: sigstore-go verifies
// the checkpoint's, and a checkpoint that does not verify fails there.
func checkLogEntries(entries []*protorekor.TransparencyLogEntry) error {
	for i, e := range entries {
		bad := func(format string, args ...any) error {
			return stageErr(ErrTlog, fmt.Sprintf("log entry %d: ", i)+fmt.Sprintf(format, args...), nil)
		}
		kind, version, v2, ok := bodyKindVersion(e.GetCanonicalizedBody())
		if !ok {
			return bad("body is not a Rekor v1 or v2 entry")
		}
		if kv := e.GetKindVersion(); kv.GetKind() != kind || kv.GetVersion() != version {
			return bad("kindVersion %s/%s but the body is %s/%s", clipText(kv.GetKind(), 64), clipText(kv.GetVersion(), 64), clipText(kind, 64), clipText(version, 64))
		}
		p := e.GetInclusionProof()
		if p == nil {
			continue
		}
		cp, ok := checkpoint.Parse(p.GetCheckpoint().GetEnvelope())
		switch {
		case !ok:
			return bad("inclusion proof checkpoint is not a signed tree head")
		case p.GetTreeSize() != cp.Size || !bytes.Equal(p.GetRootHash(), cp.Root):
			return bad("inclusion proof of a tree of size %d, root %s, but its checkpoint states size %d, root %s",
				p.GetTreeSize(), hex.EncodeToString(clipBytes(p.GetRootHash())), cp.Size, hex.EncodeToString(clipBytes(cp.Root)))
		case p.GetLogIndex() < 0 || p.GetLogIndex() >= cp.Size:
			return bad("inclusion proof of index %d in a tree of %d", p.GetLogIndex(), cp.Size)
		case cp.RekorV1 && v2:
			return bad("a Rekor v2 body with a Rekor v1 checkpoint (origin %s)", clip.Quote(cp.Origin, 128))
		case !cp.RekorV1 && !v2:
			return bad("a Rekor v1 body with a checkpoint that is not Rekor v1's (origin %s)", clip.Quote(cp.Origin, 128))
		}
		if v2 {
			// sigstore-go proves the rebuilt entry at the entry's index:
			// the proof must say that index, and lead the body's own
			// leaf to the same root.
			if p.GetLogIndex() != e.GetLogIndex() {
				return bad("inclusion proof of index %d for the entry at index %d", p.GetLogIndex(), e.GetLogIndex())
			}
			leaf := rfc6962.DefaultHasher.HashLeaf(e.GetCanonicalizedBody())
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(p.GetLogIndex()), uint64(cp.Size), leaf, p.GetHashes(), cp.Root); err != nil {
				return stageErr(ErrTlog, fmt.Sprintf("log entry %d: the inclusion proof is not of its body", i), err)
			}
		}
	}
	return nil
}

// clipBytes keeps at most a hash's length of b for an error's text.
func clipBytes(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}

// bodyKindVersion reads a log entry body as sigstore-go does (pkg/tlog
// NewTlogEntry): a Rekor v2 entry if protojson reads a hashedrekord v0.0.2
// from it, else a Rekor v1 entry of a type rekor knows.
func bodyKindVersion(body []byte) (kind, version string, v2, ok bool) {
	var e2 rekortilespb.Entry
	if protojson.Unmarshal(body, &e2) == nil {
		if _, hr := e2.GetSpec().GetSpec().(*rekortilespb.Spec_HashedRekordV002); hr && e2.GetApiVersion() == "0.0.2" {
			return e2.GetKind(), e2.GetApiVersion(), true, true
		}
	}
	pe, err := models.UnmarshalProposedEntry(bytes.NewReader(body), runtime.JSONConsumer())
	if err != nil {
		return "", "", false, false
	}
	e1, err := types.UnmarshalEntry(pe)
	if err != nil {
		return "", "", false, false
	}
	return pe.Kind(), e1.APIVersion(), false, true
}

// checkLogKeys refuses a bundle whose entries name two log ids that the
// trust material maps to one key. sigstore-go counts verified entries by
// log id toward the log threshold, and a Rekor inclusion proof does not
// sign the log id: with one log's key stated under two ids (two roots
// that compute its id differently), one log's proof, labelled with each
// id, would count as two logs.
func checkLogKeys(tm root.TrustedMaterial, entries []*protorekor.TransparencyLogEntry) error {
	if len(entries) < 2 {
		return nil
	}
	logs := tm.RekorLogs()
	type keyed struct {
		id  string
		key crypto.PublicKey
	}
	var seen []keyed
	for _, e := range entries {
		id := hex.EncodeToString(e.GetLogId().GetKeyId())
		l, ok := logs[id]
		if !ok || l == nil {
			continue
		}
		for _, s := range seen {
			if s.id == id {
				continue
			}
			if k, ok := s.key.(interface{ Equal(crypto.PublicKey) bool }); !ok || k.Equal(l.PublicKey) {
				return stageErr(ErrTlog, fmt.Sprintf("log ids %s and %s are one log key in the trust material: refusing to count one log twice", s.id, id), nil)
			}
		}
		seen = append(seen, keyed{id, l.PublicKey})
	}
	return nil
}

// checkLogWindows refuses a bundle with an entry proven by inclusion proof
// alone (every Rekor v2 entry; a Rekor v1 entry without SET) under a
// trusted log whose key's validity period (the trusted root's validFor)
// holds none of the times the bundle proves. sigstore-go checks that period
// only against a SET's integrated time, so a retired (or compromised) log
// key would otherwise keep proving inclusion for signatures made long after
// its window closed. Bounds are inclusive, as sigstore-go's.
func checkLogWindows(tm root.TrustedMaterial, entries []*protorekor.TransparencyLogEntry, times []sgverify.TimestampVerificationResult) error {
	logs := tm.RekorLogs()
	for i, e := range entries {
		if e.GetInclusionProof() == nil || len(e.GetInclusionPromise().GetSignedEntryTimestamp()) > 0 {
			continue
		}
		l, ok := logs[hex.EncodeToString(e.GetLogId().GetKeyId())]
		if !ok || l == nil {
			continue // not counted by sigstore-go
		}
		in := false
		for _, ts := range times {
			t := ts.Timestamp
			if !l.ValidityPeriodStart.After(t) && (l.ValidityPeriodEnd.IsZero() || !l.ValidityPeriodEnd.Before(t)) {
				in = true
				break
			}
		}
		if !in {
			return stageErr(ErrTlog, fmt.Sprintf("log entry %d: its log's key (%s) is valid from %s to %s, at none of the times the bundle proves",
				i, clip.Quote(l.BaseURL, 128), l.ValidityPeriodStart.UTC().Format(time.RFC3339), windowEnd(l.ValidityPeriodEnd)), nil)
		}
	}
	return nil
}

func windowEnd(t time.Time) string {
	if t.IsZero() {
		return "no end"
	}
	return t.UTC().Format(time.RFC3339)
}
