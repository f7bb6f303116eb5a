package inventory

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ztci/ztci/internal/clip"
)

// Store is the index of what a gate admitted. Implementations: [Memory] (in
// process, the default), boltinventory (a local file) and pginventory
// (PostgreSQL, for a fleet); inventorytest.Run checks any implementation
// against this contract.
//
// Both methods are safe for concurrent use. An error means the store could
// not record or answer (it wraps [ErrInvalid] for refused input,
// [ErrDuplicate], or [ErrUnavailable]): a caller that gates on the index
// must treat it as deny.
type Store interface {
	// Record adds one admission. It validates a (see [Admission]) and
	// stores it entirely or not at all. A second admission with the same
	// DecisionID is refused with [ErrDuplicate]. The store keeps no
	// reference to a.
	Record(ctx context.Context, a Admission) error
	// Query returns the admissions that match every criterion q sets,
	// newest first (then by DecisionID), at most q.Limit of them.
	Query(ctx context.Context, q Query) (Result, error)
}

// Admission is one allowed deploy decision and what the admitted artifact
// contains according to its verified SBOMs.
type Admission struct {
	// DecisionID identifies the decision (the gate's audit event id).
	// Required, unique.
	DecisionID string `json:"decision_id"`
	// Digest is the admitted artifact, "sha256:<64 hex>". Required.
	Digest string `json:"digest"`
	// Image is the reference the gate was asked about, as the gate read it
	// (registry host in lower case, defaults written out:
	// "index.docker.io/library/alpine:3"), or the artifact name for
	// inline bundles.
	Image string `json:"image,omitempty"`
	// Builders are the SLSA builder ids of the artifact's verified
	// provenances, at most [MaxBuilders], each non-empty; duplicates are
	// merged, first order kept. Empty when it had none. Every one is
	// indexed: an artifact admitted with provenance from two builders (or
	// rebuilt) is found by a query for either ([Query.Builder]), so a
	// builder revocation misses none of what that builder built.
	Builders []string `json:"builders,omitempty"`
	// Job is the deploying job's identity (SPIFFE ID or issuer#subject).
	Job string `json:"job,omitempty"`
	// PolicyRevision is the revision of the policy that allowed it.
	PolicyRevision string `json:"policy_revision,omitempty"`
	// Time is when the decision was taken. Required; stored in UTC with
	// microsecond precision.
	Time time.Time `json:"time"`
	// Packages are the packages of the artifact's verified SBOMs, each
	// named by package URL, at most [MaxPackages]. Packages of one index
	// key and version are merged into one (see [Package.Spelled]). In
	// results they include the source packages the index derived
	// ([Package.Source]), so up to twice as many; in a query result by
	// package they are only the matching packages.
	Packages []Package `json:"packages,omitempty"`
	// Signers are the identities that signed the verified attestations
	// the decision relied on, at most [MaxSigners]; duplicates are merged,
	// first order kept. They let a signer or key revocation find what it
	// signed ([Query.Signer], [Query.KeyID]).
	Signers []Signer `json:"signers,omitempty"`
	// PolicyInput is the policy input document the gate evaluated (JSON,
	// one object, at most [MaxPolicyInput] bytes), kept so that a policy
	// revision can be re-run on the admission. It holds no secret values
	// (policy.Input carries names, digests and claims only). Empty when the
	// gate did not keep it (too large). Query results carry it only when
	// [Query.WithPolicyInput] is set.
	PolicyInput json.RawMessage `json:"policy_input,omitempty"`
}

// Signer is a verified signing identity of an attestation: the OIDC
// issuer and subject alternative name of a certificate, or the key id of
// a keyed signature. SAN or KeyID is set. The gate records a key as the
// verify.KeyFingerprint of the key that verified the bundle, never the
// hint the bundle chose (unsigned), and the hint only where verify
// reports no fingerprint.
type Signer struct {
	Issuer string `json:"issuer,omitempty"`
	SAN    string `json:"san,omitempty"`
	KeyID  string `json:"key_id,omitempty"`
}

// Package is a package named by a package URL.
type Package struct {
	// PURL is the package URL. On Record it may carry qualifiers and a
	// subpath (ignored); in results it is the canonical form
	// pkg:type/namespace/name@version, namespace and name normalized for
	// the type ([ParsePURL]): the package's identity in the index, which
	// may stand for packages a registry tells apart (golang
	// github.com/Foo/bar and github.com/foo/bar are two Go modules).
	PURL string `json:"purl"`
	// Spelled is, in results, the package URL as the SBOM spelled it: the
	// canonical form but with namespace and name as written (case kept,
	// no PEP 503), so that a VEX statement lifts a finding only for the
	// package it names (drift), not for every package the index merged
	// with it. Empty when the spelling is unknown: the package was
	// recorded by a build that kept only the index key, or the admission
	// listed it at this version in several spellings; and for a source
	// package the index derived (Source). Ignored on Record.
	Spelled string `json:"spelled,omitempty"`
	// Version is the package's version: the PURL's when it has one
	// (a different Version is refused), otherwise the SBOM's own version
	// field, or empty.
	Version string `json:"version,omitempty"`
	// Unordered is set in query results for a package matched by name
	// whose version could not be compared with the query's: empty, or not
	// parsing in its ecosystem's ordering. It is listed because it may lie
	// in the range or be one of the exact versions, never left out
	// silently.
	Unordered bool `json:"unordered,omitempty"`
	// Source is set in results for a source package the index derived
	// from a binary package of the SBOM: an OS package (deb, apk, rpm,
	// alpm) whose package URL names its source package in an "upstream"
	// qualifier (syft; [CycloneDXPackages] reads Trivy's source
	// properties into one) is indexed under the source's name and version
	// too, in the binary's type and namespace, because distributions
	// publish advisories by source package: pkg:deb/debian/libssl3 with
	// upstream=openssl is found by pkg:deb/debian/openssl (see "Source
	// packages" in the package documentation for how the qualifier is
	// read, and which values are ignored). Ignored on Record.
	Source bool `json:"source,omitempty"`
	// From is, with Source, the package URL of the binary package the
	// source package was derived from, as the SBOM spelled it, at the
	// binary's version (pkg:deb/debian/libssl3@3.0.11-1~deb12u2). Empty
	// when the admission holds the source package at this version
	// through several packages (libssl3 and libcrypto3 of one openssl, or
	// the source package listed itself too): then no package-level VEX
	// statement lifts a finding on it (drift), as one naming a single
	// package does not cover the others. Ignored on Record.
	From string `json:"from,omitempty"`
}

// Query selects admissions. At least one of Package, Digest, Builder,
// Signer, KeyID and PolicyRevision is required; the criteria combine with
// AND.
type Query struct {
	// Package is a package URL without version ("pkg:golang/golang.org/x/net");
	// qualifiers and subpath are ignored. Packages of that type, namespace
	// and name match, further narrowed by Ranges and Versions.
	Package string `json:"package,omitempty"`
	// Ranges narrow Package to versions inside any of them (see [Range]).
	// They need a type with an ordering ([Ordered]); for any other type
	// the query fails with an [*EcosystemError].
	Ranges []Range `json:"ranges,omitempty"`
	// Versions narrow Package to these exact versions (equal in the
	// type's ordering, or byte for byte where it has none). With Ranges, a
	// package matching either is selected. A package whose version is
	// unknown (empty), or does not parse in the type's ordering, is
	// selected too, marked [Package.Unordered]: it may be one of them.
	Versions []string `json:"versions,omitempty"`
	// Digest selects the admissions of one artifact.
	Digest string `json:"digest,omitempty"`
	// Builder selects the admissions one of whose builders
	// ([Admission.Builders]) is this SLSA builder id, and,
	// when it has no "@", by that id at any "@<ref>" (a query for
	// https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml
	// finds ...slsa3.yml@refs/tags/v2.0.0): the match the gate's builder
	// revocation makes, as a verify.Provenance expectation accepts the
	// builder at every ref ([BuilderSelects]).
	Builder string `json:"builder,omitempty"`
	// Signer selects the admissions that relied on an attestation signed
	// by a certificate with this subject alternative name, whatever its
	// issuer: the match the gate's signer revocation makes.
	Signer string `json:"signer,omitempty"`
	// KeyID selects the admissions that relied on an attestation signed
	// by this key id ([Signer].KeyID: the key's verify.KeyFingerprint as
	// the gate records it): the match the gate's key revocation makes.
	KeyID string `json:"key_id,omitempty"`
	// PolicyRevision selects the admissions allowed under this policy
	// revision.
	PolicyRevision string `json:"policy_revision,omitempty"`
	// WithPolicyInput returns each admission's PolicyInput (left out
	// otherwise: it can be large).
	WithPolicyInput bool `json:"with_policy_input,omitempty"`
	// Limit is the most admissions returned (0: [DefaultLimit]; at most
	// [MaxLimit]). Result.Truncated says when more matched.
	Limit int `json:"limit,omitempty"`
}

// Result is the answer to a Query.
type Result struct {
	Admissions []Admission `json:"admissions"`
	// Truncated is set when more admissions matched than Limit: narrow the
	// query or raise the limit, as the list is incomplete.
	Truncated bool `json:"truncated,omitempty"`
}

// Bounds.
const (
	// MaxPackages is the most packages one admission may list.
	MaxPackages = 100_000
	// MaxFieldLen bounds DecisionID, Image, each builder, Job and
	// PolicyRevision.
	MaxFieldLen = 1024
	// DefaultLimit and MaxLimit bound Query results.
	DefaultLimit = 1000
	MaxLimit     = 100_000
	// MaxQueryTerms bounds len(Ranges)+len(Versions).
	MaxQueryTerms = 256
	// MaxSigners is the most signers one admission may list.
	MaxSigners = 64
	// MaxBuilders is the most builders one admission may list.
	MaxBuilders = 64
	// MaxPolicyInput bounds an admission's PolicyInput in bytes.
	MaxPolicyInput = 256 << 10
)

var digestPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// Entry is a validated package of an admission as stores keep it: the
// package's index key (see [PURL.Key]), its type, version, and Spelled,
// the key with namespace and name as the SBOM spelled them ("" when
// unknown, see [Package.Spelled]). Stores look packages up by Key only;
// Spelled is kept beside it, so that no key changes. Stores other than
// Memory use it through [Normalize].
//
// A source package the index derived ([Package.Source]) is an entry like
// any other, under the source's key and version; its Spelled begins with
// "@" and names the package it was derived from ([Package.From]). Stores
// keep Spelled as an opaque string, so source packages need no store
// format of their own.
type Entry struct {
	Key, Type, Version, Spelled string
}

// Package is e as query results list it.
func (e Entry) Package() Package {
	p := Package{PURL: purlOf(e.Key, e.Version), Version: e.Version}
	from, derived := strings.CutPrefix(e.Spelled, derivedMark)
	if !derived {
		p.Spelled = purlOf(e.Spelled, e.Version)
		return p
	}
	p.Source = true
	if key, ver, _ := strings.Cut(from, "@"); key != "" {
		p.From = "pkg:" + key
		if ver != "" {
			p.From += "@" + ver // escaped already
		}
	}
	return p
}

// purlOf is the package URL of index key key ("" for "") at version.
func purlOf(key, version string) string {
	switch {
	case key == "":
		return ""
	case version == "":
		return "pkg:" + key
	}
	return "pkg:" + key + "@" + escape(version)
}

// entrySet is an admission's entries, those of one key and version merged
// into the first, as the index holds one package per key and version.
// When they were spelled differently, the merged entry's spelling is
// unknown: a VEX statement naming one spelling must not lift the package
// the SBOM also listed in another. When one of them is a source package
// the index derived, the merged entry is a source package derived from
// several packages ([Package.From] empty): a statement naming one of them
// must not lift the others.
type entrySet struct {
	list []Entry
	at   map[[2]string]int // key, version → index in list
}

func newEntrySet(n int) *entrySet {
	return &entrySet{list: make([]Entry, 0, n), at: make(map[[2]string]int, n)}
}

func (s *entrySet) add(e Entry) {
	i, dup := s.at[[2]string{e.Key, e.Version}]
	switch {
	case !dup:
		s.at[[2]string{e.Key, e.Version}] = len(s.list)
		s.list = append(s.list, e)
	case s.list[i].Spelled == e.Spelled:
	case isDerived(s.list[i].Spelled) || isDerived(e.Spelled):
		s.list[i].Spelled = derivedMark
	default:
		s.list[i].Spelled = ""
	}
}

// Normalize validates a as Record must and returns it with Time in UTC
// truncated to microseconds, and its packages as index entries, those of
// one key and version merged, in their first order, each followed by the
// source package it names when that is keyed apart from it
// ([Package.Source]; so at most twice [MaxPackages] entries). Store
// implementations call it first in Record.
func Normalize(a Admission) (Admission, []Entry, error) {
	bad := func(format string, args ...any) (Admission, []Entry, error) {
		return Admission{}, nil, fmt.Errorf("%w: "+format, append([]any{ErrInvalidAdmission}, args...)...)
	}
	if a.DecisionID == "" {
		return bad("decision id is required")
	}
	if !digestPattern.MatchString(a.Digest) {
		return bad("digest must be sha256:<64 lower-case hex>")
	}
	if a.Time.IsZero() {
		return bad("time is required")
	}
	for name, v := range map[string]string{"decision id": a.DecisionID, "image": a.Image,
		"job": a.Job, "policy revision": a.PolicyRevision} {
		if err := checkField(v); err != "" {
			return bad("%s %s", name, err)
		}
	}
	builders, err := normalizeBuilders(a.Builders)
	if err != nil {
		return Admission{}, nil, err
	}
	a.Builders = builders
	if len(a.Packages) > MaxPackages {
		return bad("%d packages, at most %d", len(a.Packages), MaxPackages)
	}
	if len(a.Signers) > MaxSigners {
		return bad("%d signers, at most %d", len(a.Signers), MaxSigners)
	}
	var signers []Signer
	for _, sg := range a.Signers {
		if sg.SAN == "" && sg.KeyID == "" {
			return bad("a signer needs a SAN or a key id")
		}
		for name, v := range map[string]string{"issuer": sg.Issuer, "SAN": sg.SAN, "key id": sg.KeyID} {
			if err := checkField(v); err != "" {
				return bad("signer %s %s", name, err)
			}
		}
		if !slices.Contains(signers, sg) {
			signers = append(signers, sg)
		}
	}
	a.Signers = signers
	if len(a.PolicyInput) > MaxPolicyInput {
		return bad("policy input of %d bytes, at most %d", len(a.PolicyInput), MaxPolicyInput)
	}
	if len(a.PolicyInput) > 0 {
		if t := bytes.TrimLeft(a.PolicyInput, " \t\r\n"); len(t) == 0 || t[0] != '{' || !json.Valid(a.PolicyInput) {
			return bad("policy input is not one JSON object")
		}
		a.PolicyInput = bytes.Clone(a.PolicyInput)
	} else {
		a.PolicyInput = nil
	}
	a.Time = a.Time.UTC().Truncate(time.Microsecond)
	entries := newEntrySet(len(a.Packages))
	for _, p := range a.Packages {
		u, spelled, q, err := parse(p.PURL)
		if err != nil {
			return Admission{}, nil, fmt.Errorf("%w: %w", ErrInvalidAdmission, err)
		}
		v := u.Version
		switch {
		case v == "":
			// The package URL's epoch qualifier applies to the version
			// given beside it as it would to its own.
			var reason string
			if v, reason = withEpoch(u.Type, p.Version, q.epoch); reason != "" {
				return bad("package %s: version %q: %s", clip.String(p.PURL, 200), clip.String(p.Version, 200), reason)
			}
		case p.Version != "" && p.Version != v:
			return bad("package %s: version %q differs from the package URL's", clip.String(p.PURL, 200), clip.String(p.Version, 200))
		}
		if len(v) > MaxVersionLen || !utf8.ValidString(v) || strings.ContainsFunc(v, isControl) {
			return bad("package %s: version too long or not printable UTF-8", clip.String(p.PURL, 200))
		}
		entries.add(Entry{Key: u.Key(), Type: u.Type, Version: v, Spelled: spelled.Key()})
		if src, ok := sourceOf(u, v, q); ok {
			entries.add(Entry{Key: src.Key(), Type: src.Type, Version: src.Version,
				Spelled: derivedMark + spelled.Key() + "@" + escape(v)})
		}
	}
	a.Packages = nil
	return a, entries.list, nil
}

// normalizeBuilders validates an admission's builder ids and merges
// duplicates, first order kept.
func normalizeBuilders(list []string) ([]string, error) {
	if len(list) > MaxBuilders {
		return nil, fmt.Errorf("%w: %d builders, at most %d", ErrInvalidAdmission, len(list), MaxBuilders)
	}
	var out []string
	for _, b := range list {
		if b == "" {
			// An empty id would be indexed as no builder: the caller
			// lost one, which must not pass as "none".
			return nil, fmt.Errorf("%w: empty builder id", ErrInvalidAdmission)
		}
		if err := checkField(b); err != "" {
			return nil, fmt.Errorf("%w: builder %s", ErrInvalidAdmission, err)
		}
		if strings.ContainsFunc(b, unicode.IsSpace) {
			// A builder id is a URI, which holds no white space, and
			// events list an admission's builders separated by spaces.
			return nil, fmt.Errorf("%w: builder id holds white space", ErrInvalidAdmission)
		}
		if !slices.Contains(out, b) {
			out = append(out, b)
		}
	}
	return out, nil
}

func checkField(v string) string {
	switch {
	case len(v) > MaxFieldLen:
		return "is too long"
	case !utf8.ValidString(v) || strings.ContainsFunc(v, isControl):
		return "is not printable UTF-8"
	}
	return ""
}

func isControl(r rune) bool { return r < ' ' || r == 0x7f }

// CanonicalEntries returns entries with their keys re-derived by
// [CanonicalKey] and the duplicates this makes merged, first order kept,
// as [Normalize] merges them: the package list a store keeps for an
// admission after it migrates its keys.
func CanonicalEntries(entries []Entry) ([]Entry, error) {
	out := newEntrySet(len(entries))
	for _, e := range entries {
		k, err := CanonicalKey(e.Key)
		if err != nil {
			return nil, err
		}
		e.Key = k
		out.add(e)
	}
	return out.list, nil
}

// WithEntries returns a with Packages set from entries.
func WithEntries(a Admission, entries []Entry) Admission {
	a.Packages = make([]Package, len(entries))
	for i, e := range entries {
		a.Packages[i] = e.Package()
	}
	return a
}
