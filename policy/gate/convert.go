package gate

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/secretsprov"
	"github.com/ztci/ztci/attest/vex"
	"github.com/ztci/ztci/attest/vuln"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/image"
)

// This file is the one place where verification results become policy
// input. A vendor who composes its own gate calls these instead of copying
// field by field, so the rules below hold everywhere:
//
//   - an artifact counts as verified only if at least one attestation
//     verified (and, for images, the signer threshold was met);
//   - only verified attestations reach policy; rejected ones are reported
//     to the caller, never to the policy as facts;
//   - an index verified platform by platform reaches policy as one artifact
//     per platform manifest, each with its own attestations: no manifest
//     meets a requirement with another's ([ImageArtifacts]);
//   - provenance facts are read by verify's own rules (verify.ReadProvenance),
//     and a predicate that does not read yields no facts (policy denies);
//   - attestations are ordered by predicate type and signer, not by the
//     order a registry happened to list them, so equal inputs give equal
//     policy input and equal answers.

// ImageArtifact returns the view of an image verification as one artifact:
// the repository name, the pinned digest, the verified attestations of
// every manifest verified (in the order the registry listed them, per
// platform target) and Verified, which is true only if the image met its
// threshold with at least one verified attestation. Rejected attestations
// are left out; see [AttestationReport].
//
// It is what the decision is about (the digest to deploy), not what policy
// decides on when platform manifests were verified one by one: the
// attestations of one platform say nothing about another's content, so a
// policy requirement must hold for each. Policy takes [ImageArtifacts].
func ImageArtifact(res *image.Result) policy.Artifact {
	art, _, _ := screenImage(context.Background(), res, nil, Attestation)
	return art
}

// ImageArtifacts returns the artifacts policy decides on for an image
// verification. For an image verified as itself it is [ImageArtifact]. For
// an index whose platform manifests were verified (image.WithPlatform,
// image.WithAllPlatforms) it is one artifact per platform manifest: its
// digest, the attestations verified for that manifest only and Verified
// for its own signer threshold, so that every rule of the policy holds for
// every manifest a node may run, and no manifest meets a requirement with
// the attestations of another. A VEX statement counts for a manifest when
// it names the manifest or the index.
func ImageArtifacts(res *image.Result) []policy.Artifact {
	_, arts, _ := screenImage(context.Background(), res, nil, Attestation)
	return arts
}

// screenImage is ImageArtifact, ImageArtifacts and AttestationReport in one
// pass. reject, when not nil, may refuse a verified attestation after the
// fact (a revoked signer, key or builder); a refused attestation is
// reported with its error, left out of the artifacts, and no longer counts
// towards its manifest's signer threshold. convert is [Attestation] or a
// memo of it. ctx ends the reading of VEX documents (see vexFor).
func screenImage(ctx context.Context, res *image.Result, reject func(*verify.Result) error, convert func(*verify.Result) policy.Attestation) (policy.Artifact, []policy.Artifact, []AttestationInfo) {
	var all []*verify.Result
	var report []AttestationInfo
	var perManifest []policy.Artifact
	repo, pinned := res.Digest.Context().Name(), res.Digest.DigestStr()
	byManifest := !verifiedAsItself(res)
	thresholdMet := res.Verified
	for _, t := range res.Targets {
		signers := map[string]bool{}
		var verified []*verify.Result
		for _, a := range t.Attestations {
			info := AttestationInfo{PredicateType: a.PredicateType, Signer: a.Signer}
			switch {
			case a.Err != nil:
				info = rejected(ctx, info, a.Err)
			case a.Result == nil:
				// A bundle verifier that reports success without its
				// result gave policy nothing to read: it does not count.
				info.Error = "verified without a verification result"
			default:
				if err := rejectWith(reject, a.Result); err != nil {
					info = rejected(ctx, info, err)
					break
				}
				info.Verified = true
				signers[a.Signer] = true
				verified = append(verified, a.Result)
			}
			report = append(report, info)
		}
		met := len(signers) >= res.Threshold
		if !met {
			thresholdMet = false
		}
		all = append(all, verified...)
		if byManifest {
			perManifest = append(perManifest, artifact(ctx, convert, repo, t.Digest.String(), met, verified, pinned))
		}
	}
	slices.SortStableFunc(report, func(a, b AttestationInfo) int {
		return cmp.Or(cmp.Compare(a.PredicateType, b.PredicateType), cmp.Compare(a.Signer, b.Signer), cmp.Compare(a.Error, b.Error))
	})
	art := artifact(ctx, convert, repo, pinned, thresholdMet, all)
	if !byManifest {
		perManifest = []policy.Artifact{art}
	}
	return art, perManifest, report
}

// verifiedAsItself reports whether res verified the pinned manifest itself
// (one target, the pinned digest), not the platform manifests of an index.
func verifiedAsItself(res *image.Result) bool {
	return len(res.Targets) == 0 || (len(res.Targets) == 1 && res.Targets[0].Digest.String() == res.Digest.DigestStr())
}

func rejectWith(reject func(*verify.Result) error, r *verify.Result) error {
	if reject == nil {
		return nil
	}
	return reject(r)
}

// Artifact returns the policy's view of the artifact name@digest given the
// results of the attestations about it that verified. thresholdMet is the
// caller's own signer requirement (true when it has none); Verified is
// thresholdMet with at least one result.
func Artifact(name, digest string, thresholdMet bool, verified ...*verify.Result) policy.Artifact {
	return artifact(context.Background(), Attestation, name, digest, thresholdMet, verified)
}

// artifact is Artifact with the conversion of each result given: [Attestation]
// or a memo of it. container, when set, is the digest of the index the
// artifact is a platform manifest of: a VEX statement naming it counts too.
func artifact(ctx context.Context, convert func(*verify.Result) policy.Attestation, name, digest string, thresholdMet bool, verified []*verify.Result, container ...string) policy.Artifact {
	art := policy.Artifact{Name: name, Digest: digest}
	for _, r := range verified {
		if r == nil {
			continue
		}
		att := convert(r)
		if att.PredicateType == vex.PredicateType && r.Statement != nil {
			att.VEX = vexFor(ctx, r.Statement, name, append([]string{digest}, container...))
		}
		art.Attestations = append(art.Attestations, att)
	}
	sortAttestations(art.Attestations)
	if len(art.Attestations) > 0 {
		art.Signer = art.Attestations[0].Signer
	}
	art.Verified = thresholdMet && len(art.Attestations) > 0
	return art
}

// sortAttestations orders atts by predicate type, then by their whole
// signer (SAN, issuer, every certificate claim): the first one's signer
// becomes the artifact's. By type and SAN alone, attestations of one type
// whose certificates share a SAN (a reusable workflow's, which any
// repository calls; the claims name the caller) kept the order the
// registry listed them in, and the artifact's signer, claims included,
// was whichever the pusher of the last referrer chose.
func sortAttestations(atts []policy.Attestation) {
	slices.SortStableFunc(atts, func(a, b policy.Attestation) int {
		if c := cmp.Or(cmp.Compare(a.PredicateType, b.PredicateType), cmp.Compare(a.Signer.SAN, b.Signer.SAN)); c != 0 {
			return c
		}
		// A tie is rare (one type, one SAN): only then is the whole
		// signer encoded, off the warm decision's usual path.
		return cmp.Compare(signerKey(a.Signer), signerKey(b.Signer))
	})
}

// signerKey is s encoded whole, for ordering: strings and bools always
// encode.
func signerKey(s policy.Signer) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Attestation returns the policy's view of one verified attestation: its
// predicate type, its signer and, for SLSA provenance, vulnerability scans
// and secrets provenance, the facts policy decides on. An OpenVEX
// attestation is about products, so its statements need the artifact:
// [Artifact] fills them with [VEX]; Attestation alone leaves them out,
// which lifts nothing.
func Attestation(r *verify.Result) policy.Attestation {
	att := policy.Attestation{PredicateType: predicateType(r), Signer: Signer(r.Signer)}
	switch {
	case r.Statement == nil:
	case strings.HasPrefix(att.PredicateType, "https://slsa.dev/provenance/"):
		att.Provenance = Provenance(r.Statement)
	case att.PredicateType == vuln.PredicateType:
		att.Scan = Scan(r.Statement)
	case att.PredicateType == secretsprov.PredicateType:
		att.SecretsProvenance = SecretsProvenance(r.Statement)
	}
	return att
}

// Scan hands policy the summary of a verified in-toto vulns v0.1 scan
// (attest/vuln): scanner, counts by severity and the findings. A predicate
// that does not read yields nil, which the built-in policy treats as an
// unreadable scan (deploy.scan_unreadable: deny), never as a clean one.
func Scan(st *attest.Statement) *policy.Scan {
	sc, err := vuln.ParseScan(st.Predicate)
	if err != nil {
		return nil
	}
	out := &policy.Scan{Scanner: strings.TrimSpace(sc.Scanner.Name + " " + sc.Scanner.Version)}
	if !sc.Time.IsZero() {
		out.ScannedAt = sc.Time.UTC().Format(time.RFC3339)
	}
	for _, f := range sc.Findings {
		switch f.Severity {
		case vuln.SeverityCritical:
			out.Critical++
		case vuln.SeverityHigh:
			out.High++
		case vuln.SeverityMedium:
			out.Medium++
		case vuln.SeverityLow:
			out.Low++
		}
		pkg := f.Package.PURL
		if pkg == "" {
			pkg = f.Package.Name + "@" + f.Package.Version
		}
		out.Findings = append(out.Findings, policy.Finding{ID: f.ID, Aliases: f.Aliases, Severity: string(f.Severity), Package: pkg})
	}
	return out
}

// VEX hands policy the statements of a verified OpenVEX v0.2.0 attestation
// (attest/vex) about the artifact name@digest, each with its
// subcomponents' package URLs (a subcomponent named otherwise is passed as
// its identifier, which matches no finding for lifting) and its dates,
// timestamp and last_updated, each its own or else the document's. A fixed
// or not_affected statement reaches policy when it names the artifact as a
// product — by hash, by a pkg:oci package URL whose version is the digest,
// or by matching the artifact's package URL
// pkg:oci/<last segment of name>@<digest>?repository_url=<name> — and
// lifts nothing otherwise. Any other status (affected,
// under_investigation) reaches it when it may be about the artifact
// ([vex.Statement.MayFor]): a pkg:oci package URL of its name whatever
// the qualifiers (a tag), a package URL of another type (passed as a
// subcomponent: a package the image may hold), or a product the gate
// cannot place, so that a later contrary statement cancels a lift. A
// predicate that does not read yields nil: nothing is lifted.
func VEX(st *attest.Statement, name, digest string) *policy.VEX {
	return vexFor(context.Background(), st, name, []string{digest})
}

// vexFor is VEX for an artifact known by several digests (a platform
// manifest and the index that lists it): the document is read once, and a
// statement that applies alike through two of them is handed on once.
//
// A document is read again for every decision and every artifact it may
// name (a verdict from the cache holds the statement, not its reading),
// and one of 7 MiB takes half a second: once ctx has ended it is not read,
// nor matched further, and nil (nothing lifted) is returned. The caller's
// decision is undecided by then (decideFor checks ctx before policy).
func vexFor(ctx context.Context, st *attest.Statement, name string, digests []string) *policy.VEX {
	if ctx.Err() != nil {
		return nil
	}
	doc, err := vex.FromStatement(st)
	if err != nil {
		return nil
	}
	out := &policy.VEX{Statements: []policy.VEXStatement{}}
	// earlier holds the statements that applied through an earlier digest,
	// by their policy input form. A lookup, not a scan of those statements
	// for each one: a document of n statements naming both the manifest and
	// the index cost n² comparisons (20,000 statements, 3.4 MB: 31 s).
	earlier := map[string]bool{}
	for i, digest := range digests {
		d, err := attest.ParseDigest(digest)
		if err != nil || ctx.Err() != nil {
			return nil
		}
		from := len(out.Statements)
		art := vex.Artifact{Digest: d, PURL: ociPURL(name, d)}
		for j := range doc.Statements {
			a, ok := applies(&doc.Statements[j], art)
			if !ok {
				continue
			}
			ps := vexStatement(a, doc.LastUpdated)
			if k, ok := vexKey(ps); i == 0 || !ok || !earlier[k] {
				out.Statements = append(out.Statements, ps)
			}
		}
		if i < len(digests)-1 {
			for _, ps := range out.Statements[from:] {
				if k, ok := vexKey(ps); ok {
					earlier[k] = true
				}
			}
		}
	}
	return out
}

// applies is s as it reaches policy about art. A statement that may lift
// a finding (fixed, not_affected) reaches it when it names art by
// OpenVEX's rule (vex.Statement.For). Any other may cancel a lift, and
// reaches it when it may name art (vex.Statement.MayFor: a pkg:oci package
// URL of art's name whatever its qualifiers, a package art may hold, a
// product the gate cannot place): an exact match only would let a later
// "affected" about pkg:oci/app?tag=v1 go unseen while a not_affected by
// digest lifts the finding. Fail closed: the built-in policy reads such a
// statement as covering every finding it may name (purl_may_name).
func applies(s *vex.Statement, art vex.Artifact) (vex.Applicable, bool) {
	if s.Status == vex.StatusFixed || s.Status == vex.StatusNotAffected {
		return s.For(art)
	}
	return s.MayFor(art)
}

// vexKey is a VEX statement as policy reads it (its JSON encoding): two
// statements with one key are one statement to policy. A statement without
// a key (strings always encode; this cannot happen) is never merged.
func vexKey(ps policy.VEXStatement) (string, bool) {
	b, err := json.Marshal(ps)
	return string(b), err == nil
}

// vexStatement is the policy's view of one statement as it applies to an
// artifact, in a document last updated at docUpdated (zero: not given).
// Its dates are handed on as OpenVEX gives them, each inherited from the
// document when the statement has none (attest/vex inherits the
// timestamp): which statement is the more recent is the policy's rule
// (deploy_vuln.rego's older), which reads both, not this conversion's.
// Without last_updated, an "affected" re-confirmed by its last_updated
// after an in-between not_affected lost to it, and the finding was lifted.
func vexStatement(a vex.Applicable, docUpdated time.Time) policy.VEXStatement {
	s := a.Statement
	ps := policy.VEXStatement{
		Vulnerability: s.Vulnerability.Name, Aliases: s.Vulnerability.Aliases, Status: string(s.Status),
		Justification: string(s.Justification), Timestamp: s.Timestamp.UTC().Format(time.RFC3339Nano),
	}
	updated := s.LastUpdated
	if updated.IsZero() {
		updated = docUpdated
	}
	if !updated.IsZero() {
		ps.LastUpdated = updated.UTC().Format(time.RFC3339Nano)
	}
	for _, c := range a.Subcomponents {
		ids := c.PURLs()
		if len(ids) == 0 {
			ids = []string{cmp.Or(c.ID, c.Identifiers["cpe23"], c.Identifiers["cpe22"])}
		}
		ps.Subcomponents = append(ps.Subcomponents, ids...)
	}
	return ps
}

// ociPURL is the package URL of the image name@d; "" when name is empty.
func ociPURL(name string, d attest.Digest) string {
	if name == "" {
		return ""
	}
	last := name[strings.LastIndex(name, "/")+1:]
	return "pkg:oci/" + strings.ToLower(last) + "@" + d.Algorithm + "%3A" + d.Value + "?repository_url=" + name
}

// Signer maps a verified signer onto policy's Signer. A keyed signer has no
// SAN or issuer; its key hint is not an identity and is not passed on.
func Signer(s verify.SignerInfo) policy.Signer {
	return policy.Signer{SAN: s.SAN, Issuer: s.Issuer, Claims: Claims(s.Claims)}
}

// Claims maps the Fulcio certificate claims onto the CI claims identity
// uses for job tokens, so one policy rule finds both under one name: the
// repository's immutable ids (sourceRepositoryIdentifier,
// sourceRepositoryOwnerIdentifier) included. Fulcio's runnerEnvironment
// "github-hosted" is identity's "hosted". Repository and WorkflowRef stay
// the URIs the certificate names ("https://github.com/acme/app",
// "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"),
// where a job token's are paths ("acme/app"): cutting the host off would
// make a repository on any forge read as the one on yours. Compare them as
// sources are compared (policy's source matching ignores the scheme, not
// the host).
func Claims(c verify.Claims) identity.Claims {
	runner := c.RunnerEnvironment
	if runner == "github-hosted" {
		runner = "hosted"
	}
	return identity.Claims{
		Repository:        c.SourceRepositoryURI,
		RepositoryID:      c.SourceRepositoryIdentifier,
		RepositoryOwnerID: c.SourceRepositoryOwnerIdentifier,
		Ref:               c.SourceRepositoryRef,
		Commit:            c.SourceRepositoryDigest,
		WorkflowRef:       c.BuildSignerURI,
		Event:             c.BuildTrigger,
		Runner:            runner,
	}
}

// Provenance hands policy the facts verify reads from a verified SLSA v1
// provenance statement, by the same rules verify's expectations are matched
// with. A predicate that does not read yields nil, which the built-in policy
// treats as missing provenance (deny).
func Provenance(st *attest.Statement) *policy.Provenance {
	f, err := verify.ReadProvenance(st)
	if err != nil {
		return nil
	}
	out := &policy.Provenance{BuilderID: f.BuilderID, BuildType: f.BuildType,
		SourceRepository: f.SourceRepository, SourceRef: f.SourceRef, SourceDigest: f.SourceDigest}
	if len(f.ExternalParameters) > 0 {
		out.ExternalParameters = make(map[string]any, len(f.ExternalParameters))
		for k, raw := range f.ExternalParameters {
			var v any
			if decodeExact(raw, &v) != nil {
				return nil
			}
			out.ExternalParameters[k] = v
		}
	}
	return out
}

// AttestationReport lists every candidate attestation of an image
// verification and what became of it, for the caller (never for policy).
// A rejection is said by its category (a verify or verify/image
// sentinel's fixed text), never by the error itself, which may quote a
// registry's or a trust material fetch's answer: that is in res.
func AttestationReport(res *image.Result) []AttestationInfo {
	_, _, report := screenImage(context.Background(), res, nil, Attestation)
	return report
}

func predicateType(r *verify.Result) string {
	if r.Statement == nil {
		return ""
	}
	return r.Statement.PredicateType
}

// signerName is how a verified signer is shown to a caller, and the
// signer a threshold counts (distinct names are distinct signers): the
// certificate identity, or the key that verified a keyed bundle
// ([keyID]), never the hint the bundle chose.
func signerName(r *verify.Result) string {
	if r.Signer.SAN != "" {
		return r.Signer.SAN + " (" + r.Signer.Issuer + ")"
	}
	return keyID(r.Signer)
}

// keyID names the key of a keyed signer: the verify.KeyFingerprint of the
// key that verified the bundle, or, when verify reports none, its key
// hint. A bundle's hint is not signed, and trust material may answer any
// hint with one key (cosign's for a --key does): by the hint, one key
// under two hints was two signers, and a key revoked by its fingerprint
// was not revoked under another hint.
func keyID(s verify.SignerInfo) string {
	return cmp.Or(s.KeyFingerprint, s.KeyHint)
}

// decodeExact decodes the JSON value raw into v with numbers as
// json.Number, which policy reads exactly, as policy.DecodeInput and
// verify's expectations do: read as float64, 9007199254740993 became
// 9007199254740992 for a gate's policy and stayed itself for verify and
// for a policy evaluated on the same document as JSON input.
func decodeExact(raw []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return err
	}
	if _, err := d.Token(); err != io.EOF {
		return errors.New("trailing data after a JSON value")
	}
	return nil
}
