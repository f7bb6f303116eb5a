package drift

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/vex"
	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/internal/clip"
	"github.com/ztci/ztci/internal/pep503"
)

// Audit vocabulary of VEX events.
const (
	// ActionVEXAffected: a signed VEX statement says an admitted artifact
	// is affected by a vulnerability (an advisory scoped to the products it
	// names).
	ActionVEXAffected = "inventory.drift.vex_affected"
	// ActionCompliantAgain: a signed VEX statement (not_affected with a
	// justification, or fixed) resolves an advisory for an admitted
	// artifact the advisory made non-compliant. Its outcome is success.
	ActionCompliantAgain = "inventory.drift.compliant_again"
)

// VEX applies one statement of a verified OpenVEX document (attest/vex;
// read it with vex.FromStatement from the verified attestation, so a
// statement without products inherits the attestation's subjects).
//
// The caller verifies the document's signature and decides that signer
// (the certificate SAN or key id that signed it, recorded in the event) may
// speak for these products, as the deploy policy's VEX signers do: VEX
// does not verify anything, and a statement from an untrusted signer can
// make an artifact read compliant. signer is required.
//
// By status:
//
//   - not_affected (with a justification; an impact statement alone does
//     not lift a finding, as in the deploy rules) and fixed: adv is the
//     advisory the statement resolves (its id or an alias must be the
//     statement's vulnerability or an alias). Its queries are run again,
//     and each artifact it affects that the statement covers gets one
//     [ActionCompliantAgain] event (cause adv.ID); this Detector then
//     reports no [ActionAdvisory] drift of that artifact for adv, as if
//     already reported (the seen-set). The statement covers an
//     artifact when one of its products names the artifact as a whole
//     ([vex.Document.For] on the digest and the image's pkg:oci package URL,
//     as the gate matches), or when every affected package of the artifact
//     is named by a subcomponent of a product naming it or by a product
//     that is itself a package URL and has no subcomponents (one with
//     subcomponents is about those parts of the package, which the index
//     cannot place, so it lifts nothing: the gate's rules lift only a
//     subcomponent's findings). Named is [vex.MatchPURL] on the
//     package as the SBOM spelled it ([inventory.Package.Spelled]), not on
//     the index's normalized key: names compare as the type's registry
//     compares them (PyPI by PEP 503, NuGet without case, every other type
//     exactly), so a statement about pkg:golang/github.com/foo/bar does not
//     lift github.com/Foo/bar, another Go module the index keys alike. A
//     package whose spelling the index does not know (recorded by an
//     older build, or listed in two spellings) is named only where its
//     key loses nothing the registry tells apart (see [inventory.FoldsCase]);
//     otherwise it stays affected. A source package the index derived
//     from a binary package ([inventory.Package.Source]: the advisory
//     names openssl, the SBOM lists libssl3 built from it) is named only
//     by naming that binary package ([inventory.Package.From]), never by
//     the source's name: pkg:deb/debian/openssl is also the binary
//     package openssl, which a statement about it may mean, and which is
//     not libssl3. When the admission holds the source through several
//     packages (From empty), only a statement about the artifact as a
//     whole lifts it. An artifact only partly covered stays
//     non-compliant: no event.
//   - affected: an advisory scoped to the statement's products. A product
//     naming an artifact by digest (a sha-256 hash, or a pkg:oci package
//     URL whose version is the digest) selects that artifact; a product
//     that is another package URL selects the artifacts whose SBOMs list
//     it (at its version, when it has one). Each gets one
//     [ActionVEXAffected] event (cause the vulnerability name), whose
//     packages attribute lists, for a product naming it by digest, the
//     packages its subcomponents may name ([vex.MayMatchPURL]: qualifiers
//     ignored, names without case, 1.2.3 as v1.2.3; more, never fewer,
//     than the statement names). A product
//     naming an image without a digest cannot be searched in the index: it
//     is listed in [Report.Skipped] with [ErrUnresolvableProduct]. adv may
//     be nil.
//   - under_investigation reports nothing (its products are searched as
//     an affected statement's, and remembered, below).
//
// Which statement wins is the deploy policy's rule (deploy_vuln.rego,
// older): a not_affected or fixed statement does not lift a finding of an
// artifact for which this Detector applied a contrary statement
// (affected, under_investigation) about the advisory's or the statement's
// vulnerability ids that is not older by both its timestamp and its last
// change (the later of timestamp and last_updated): a tie, or an
// "affected" re-confirmed by a later last_updated, blocks the lift, which
// is counted in [Report.Superseded] instead. st.LastUpdated must be the
// statement's own, else its document's: read statements with
// [StatementsOf]. A date more than five minutes in the future is no date,
// as in the policy: a lifting statement so dated returns [ErrVEXDate], a
// contrary one blocks every lift of its artifacts. A contrary statement
// with a product the index cannot search, or on an answer cut at the
// limit, or naming more artifacts than the memory holds, or needing more
// queries than [WithMaxQueries] allows (then returning [ErrTooManyQueries],
// under_investigation too), blocks the lifts of every artifact for its
// vulnerability. Contrary statements are
// remembered per Detector, bounded as the seen-set ([WithSeenLimit]):
// after a restart, feed an artifact's contrary statements again before
// lifting ones. The events of an affected or a lifting statement are
// derived from its dates too: a re-confirmed "affected" re-opens a lifted
// finding with a new event, and the same statement fed again is one event.
//
// The error contract is that of [Detector.Advisory], except that a
// not_affected or fixed statement on an inventory answer cut at
// [inventory.MaxLimit] returns [ErrIncomplete] before any event is
// written: an artifact's affected packages read from part of the answer
// could be lifted by a statement that does not name them all. A
// statement that cannot be applied (no signer, not_affected without
// justification, adv missing or about another vulnerability) returns
// [ErrInvalidInput].
func (d *Detector) VEX(ctx context.Context, st vex.Statement, signer string, adv *Advisory, arrived time.Time) (Report, error) {
	if signer == "" || !printable(signer, inventory.MaxFieldLen) {
		return Report{}, fmt.Errorf("%w: a VEX statement needs the identity that signed it (printable, at most %d bytes)", ErrInvalidInput, inventory.MaxFieldLen)
	}
	if arrived.IsZero() {
		arrived = d.cfg.now()
	}
	switch st.Status {
	case vex.StatusAffected:
		return d.vexAffected(ctx, st, signer, arrived, true)
	case vex.StatusNotAffected, vex.StatusFixed:
		return d.vexResolved(ctx, st, signer, adv, arrived)
	case vex.StatusUnderInvestigation:
		// Nothing to report, but it is remembered: a lifting statement
		// not newer by both dates loses to it.
		return d.vexAffected(ctx, st, signer, arrived, false)
	}
	return Report{}, fmt.Errorf("%w: VEX status %q", ErrInvalidInput, clip.String(string(st.Status), 64))
}

func (d *Detector) vexResolved(ctx context.Context, st vex.Statement, signer string, adv *Advisory, arrived time.Time) (Report, error) {
	if adv == nil {
		return Report{}, fmt.Errorf("%w: a %s statement needs the advisory it resolves", ErrInvalidInput, st.Status)
	}
	if st.Status == vex.StatusNotAffected && st.Justification == "" {
		return Report{}, fmt.Errorf("%w: not_affected without a justification does not lift a finding (an impact statement alone is not enough)", ErrInvalidInput)
	}
	ids := append([]string{adv.ID}, adv.Aliases...)
	if !slices.ContainsFunc(st.Vulnerability.IDs(), func(v string) bool { return v != "" && slices.Contains(ids, v) }) {
		return Report{}, fmt.Errorf("%w: VEX statement about %q, advisory %s is about none of its names", ErrInvalidInput, clip.String(st.Vulnerability.Name, 64), adv.ID)
	}
	if !adv.Withdrawn.IsZero() {
		return Report{Cause: adv.ID, Withdrawn: true}, nil // a withdrawn advisory drifted nothing
	}
	sd := vexDateOf(st, d.cfg.now())
	if !sd.dated {
		return Report{Cause: adv.ID}, fmt.Errorf("%w: %s statement about %q", ErrVEXDate, st.Status, clip.String(st.Vulnerability.Name, 64))
	}
	// The ids a contrary statement may name to cancel the lift: the
	// finding's (the advisory's) and the lifting statement's, as the
	// deploy policy's lifted.
	against := slices.Concat(ids, st.Vulnerability.IDs())
	h, skips, incomplete, err := d.advisoryHits(ctx, adv)
	rep := Report{Cause: adv.ID, Skipped: skips}
	if err != nil {
		return rep, err
	}
	if incomplete != nil {
		// An answer cut at the limit may leave an admission out of one
		// query (one affected package) and not of another: the
		// artifact's affected packages would be read from part of them,
		// and a statement naming only those would lift a finding on a
		// package it does not name. Lifting needs the whole answer, so
		// nothing is lifted (an advisory reports what it found; a
		// "compliant again" cannot). So too past the query bound.
		d.cfg.log.WarnContext(ctx, "drift: inventory answer incomplete, VEX statement not applied", "advisory", adv.ID)
		return rep, incomplete
	}
	lift := newLiftRule(st)
	covered := newHits()
	for _, digest := range h.order {
		c := h.by[digest]
		if lift.covers(c) {
			if d.blocked(digest, against, sd) {
				rep.Superseded++ // a contrary statement as recent or more recent wins
				continue
			}
			for _, a := range c.Admissions {
				a.Packages = c.Packages // the affected packages, listed in the event
				covered.add(a)
			}
		}
	}
	if rep.Superseded > 0 {
		d.cfg.log.InfoContext(ctx, "drift: VEX lift superseded by a contrary statement", "advisory", adv.ID, "artifacts", rep.Superseded)
	}
	err = d.emitKeyed(ctx, &rep, ActionCompliantAgain, adv.ID, adv.ID+"\x00"+sd.key(), covered, arrived, func(c Change) audit.Event {
		return compliantAgainEvent(adv, st, signer, c)
	})
	// The advisory no longer counts for what the statement resolved: this
	// Detector reports no drift for it when the advisory comes (again).
	resolved := covered.order
	if err != nil {
		resolved = resolved[:0:0]
		for _, c := range rep.Changes {
			resolved = append(resolved, c.Digest)
		}
	}
	for _, digest := range resolved {
		d.markSeen(eventID(ActionAdvisory, digest, adv.ID))
	}
	if err != nil {
		return rep, err
	}
	return rep, nil
}

// liftRule is a not_affected or fixed statement read once for every
// artifact it may lift: the products that may name an image, and the
// package URLs of the products that are packages, by the name they may
// match. Reading them per artifact cost the statement's size for each of
// the advisory's artifacts: a statement of 100,000 package products took
// a third of a second per artifact.
type liftRule struct {
	// images is the statement with only the products that may name an
	// image ([vex.Document.For]: a hash, or a pkg:oci package URL).
	images *vex.Document
	// packages are the package URLs of products that are package URLs
	// of another type and have no subcomponents, by [nameBucket].
	packages map[string][]string
}

func newLiftRule(st vex.Statement) *liftRule {
	r := &liftRule{packages: map[string][]string{}}
	img := st
	img.Products = nil
	for _, p := range st.Products {
		image := len(p.Hashes) > 0
		for _, id := range p.PURLs() {
			u, err := vex.ParsePURL(id)
			switch {
			case err != nil:
			case u.Type == "oci":
				image = true
			case len(p.Subcomponents) == 0:
				// A product with subcomponents is about those parts of
				// the package, not the package: the gate's rules lift only
				// a subcomponent's findings, and the index cannot tell
				// which packages lie inside this one.
				b := nameBucket(u)
				r.packages[b] = append(r.packages[b], id)
			}
		}
		if image {
			img.Products = append(img.Products, p)
		}
	}
	r.images = &vex.Document{Statements: []vex.Statement{img}}
	return r
}

// nameBucket is the key under which a package URL's patterns are looked
// up: its type and its name in lower case (for PyPI, by PEP 503). Any two
// package URLs that [vex.MatchPURL] matches share it, as it compares
// names exactly, without case (NuGet) or by PEP 503 (PyPI).
func nameBucket(u vex.PURL) string {
	if u.Type == "pypi" {
		return u.Type + "/" + pep503.Name(u.Name)
	}
	return u.Type + "/" + strings.ToLower(u.Name)
}

// covers reports whether the statement lifts advisory change c.
func (r *liftRule) covers(c *Change) bool {
	var subs []string // package URLs of subcomponents of products naming c
	for _, a := range c.Admissions {
		for _, app := range r.images.For(artifactOf(a)) {
			if app.Subcomponents == nil {
				return true // about the artifact as a whole
			}
			for _, sc := range app.Subcomponents {
				subs = append(subs, sc.PURLs()...)
			}
		}
	}
	if len(c.Packages) == 0 || len(subs) == 0 && len(r.packages) == 0 {
		return false
	}
	for _, pkg := range c.Packages {
		named := func(pat string) bool { return names(pat, pkg) }
		if !slices.ContainsFunc(subs, named) && !slices.ContainsFunc(r.packages[bucketOf(pkg)], named) {
			return false
		}
	}
	return true
}

// bucketOf is the [nameBucket] of the package URL [names] matches pkg by
// ("" when there is none).
func bucketOf(pkg inventory.Package) string {
	target := pkg.PURL
	switch {
	case pkg.Source:
		target = pkg.From
	case pkg.Spelled != "":
		target = pkg.Spelled
	}
	u, err := vex.ParsePURL(target)
	if err != nil {
		return ""
	}
	return nameBucket(u)
}

// names reports whether the package URL pattern of a VEX statement names
// pkg, an affected package of an index result, for lifting its finding:
// [vex.MatchPURL] on the package as the SBOM spelled it, as the gate
// matches VEX products. Its spelling carries no qualifiers and no
// subpath, so a pattern that names some matches nothing.
//
// When the spelling is unknown, the index key is all there is: it stands
// for every spelling it was derived from, and may name the package only
// where all of them are one package to the registry — the index keeps
// the type's case, or the registry ignores case too (its other
// normalization, PyPI's PEP 503, the index applies alike). Otherwise a
// statement cannot prove it names the package: not covered.
//
// A source package the index derived is named only through the binary
// package it was derived from (pkg.From, as the SBOM spelled it, at its
// version): a package URL naming the source, say pkg:deb/debian/openssl,
// names the binary package openssl as well, and a statement about that
// binary does not cover libssl3, also built from the openssl source. One
// derived from several packages (From empty) is named by no pattern.
func names(pattern string, pkg inventory.Package) bool {
	if pkg.Source {
		return pkg.From != "" && vex.MatchPURL(pattern, pkg.From)
	}
	if pkg.Spelled != "" {
		return vex.MatchPURL(pattern, pkg.Spelled)
	}
	u, err := inventory.ParsePURL(pkg.PURL)
	return err == nil && (!inventory.FoldsCase(u.Type) || registryFoldsCase(u.Type)) && vex.MatchPURL(pattern, pkg.PURL)
}

// registryFoldsCase reports whether names of package type typ that differ
// only in case are one package as [vex.MatchPURL] compares them (PyPI and
// NuGet): asked of vex, so that the rule has one home.
func registryFoldsCase(typ string) bool {
	return vex.MatchPURL("pkg:"+typ+"/A", "pkg:"+typ+"/a")
}

// matchPURL reports whether the package URL pattern of an affected
// statement's subcomponent may name purl, a package URL of an index
// result, to list it in the drift event: [vex.MayMatchPURL] (qualifiers
// and subpath ignored, names without case, versions alike once a leading
// "v", separators, leading and trailing zeros are set aside: 1.2.3 names
// v1.2.3), on the pattern as the statement spelled it or on both
// identities normalized by [inventory.ParsePURL], as the index normalized
// purl. It may list more packages than the statement names, never fewer:
// an operator must see the affected package (a not_affected or fixed
// statement lifts findings by [names] instead).
func matchPURL(pattern, purl string) bool {
	if vex.MayMatchPURL(pattern, purl) {
		return true
	}
	p, err := inventory.ParsePURL(pattern)
	if err != nil {
		return false
	}
	u, err := inventory.ParsePURL(purl)
	return err == nil && vex.MayMatchPURL(p.String(), u.String())
}

// artifactOf is the admitted artifact as a VEX product is matched against
// it: its digest, and the pkg:oci package URL of its image as policy/gate's
// VEX conversion builds it (pkg:oci/<last path segment>@<digest>?repository_url=<repository>).
func artifactOf(a inventory.Admission) vex.Artifact {
	d, err := attest.ParseDigest(a.Digest)
	if err != nil { // the index holds sha256:<hex> only
		return vex.Artifact{}
	}
	art := vex.Artifact{Digest: d}
	if repo := repository(a.Image); repo != "" {
		last := repo[strings.LastIndex(repo, "/")+1:]
		art.PURL = "pkg:oci/" + strings.ToLower(last) + "@" + d.Algorithm + "%3A" + d.Value + "?repository_url=" + repo
	}
	return art
}

// repository strips a tag or digest from an image reference.
func repository(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	return ref
}

func (d *Detector) vexAffected(ctx context.Context, st vex.Statement, signer string, arrived time.Time, report bool) (Report, error) {
	cause := clip.String(st.Vulnerability.Name, 256) // the signed document's text: bounded for the event
	rep := Report{Cause: cause}
	// One entry per product the index can search; identical queries
	// (products naming the same digest or package URL) run once, their
	// answer read for each of their products.
	type product struct {
		subs []string // subcomponent package URLs of a digest product
		// doc is st with only this product: matching every product
		// against each admission cost the statement's size per
		// admission.
		doc *vex.Document
	}
	type query struct {
		q        inventory.Query
		products []product
	}
	var qs []query
	run := newQuerySet(d.cfg.maxQueries)
	for i, p := range st.Products {
		q, ok := productQuery(p)
		if !ok {
			rep.Skipped = append(rep.Skipped, Skip{Affected: i, Range: -1, Package: untrusted(productName(p), 200), Err: ErrUnresolvableProduct})
			continue
		}
		n, fresh, ok := run.add(q)
		if !ok {
			continue // past the bound: the statement is applied to every artifact below
		}
		var subs []string
		for _, sc := range p.Subcomponents {
			subs = append(subs, sc.PURLs()...)
		}
		one := st
		one.Products = []vex.Product{p}
		if fresh {
			qs = append(qs, query{q: q})
		}
		qs[n].products = append(qs[n].products, product{subs, &vex.Document{Statements: []vex.Statement{one}}})
	}
	for _, s := range rep.Skipped {
		d.cfg.log.WarnContext(ctx, "drift: VEX product not searchable in the index", "vulnerability", cause, "skip", s.String())
	}
	if run.full {
		d.cfg.log.WarnContext(ctx, "drift: too many inventory queries, VEX statement applied to every artifact", "vulnerability", cause, "max_queries", d.cfg.maxQueries)
	}
	h := newHits()
	truncated := false
	for _, q := range qs {
		res, err := d.store.Query(ctx, q.q)
		if err != nil {
			return Report{Cause: cause, Skipped: rep.Skipped}, fmt.Errorf("%w: VEX %s: %w", ErrStore, clip.String(cause, 64), err)
		}
		truncated = truncated || res.Truncated
		for _, p := range q.products {
			for _, a := range res.Admissions {
				if q.q.Digest != "" {
					if len(p.doc.For(artifactOf(a))) == 0 {
						continue // the product names the digest by a hash algorithm the index does not hold
					}
					// A digest query returns every package: keep those the
					// statement names as affected subcomponents.
					a.Packages = slices.DeleteFunc(slices.Clone(a.Packages), func(pkg inventory.Package) bool {
						return !slices.ContainsFunc(p.subs, func(pat string) bool { return matchPURL(pat, pkg.PURL) })
					})
				}
				h.add(a)
			}
		}
	}
	// Remembered before anything is written: a lifting statement that is
	// not newer by both dates lifts none of these artifacts. A product the
	// index cannot search, or an answer cut at the limit, may be about any
	// artifact: it blocks them all.
	td := vexDateOf(st, d.cfg.now())
	digests, ids := slices.Clone(h.order), st.Vulnerability.IDs()
	if len(rep.Skipped) > 0 || truncated || run.full {
		digests = append(digests, anyArtifact)
	}
	if len(digests)*len(ids) > d.cfg.seenLimit/2 {
		// So many marks would push the others out of the bounded memory
		// (and a lift they blocked would stand): one mark for every
		// artifact instead, which blocks more, never less.
		digests = []string{anyArtifact}
	}
	d.recordContrary(digests, ids, td)
	tooMany := func() error {
		return fmt.Errorf("%w: VEX %s needs more than %d queries", ErrTooManyQueries, clip.String(cause, 64), d.cfg.maxQueries)
	}
	if !report {
		d.cfg.log.InfoContext(ctx, "drift: VEX statement under investigation, nothing to report", "vulnerability", cause)
		if run.full {
			return Report{Cause: cause, Skipped: rep.Skipped}, tooMany()
		}
		return Report{Cause: cause, Skipped: rep.Skipped}, nil
	}
	// The event id names the statement's dates: an "affected" re-confirmed
	// (a later last_updated) after a lift re-opens the finding.
	err := d.emitKeyed(ctx, &rep, ActionVEXAffected, cause, cause+"\x00"+td.key(), h, arrived, func(c Change) audit.Event { return vexAffectedEvent(st, signer, c) })
	if err != nil {
		return rep, err
	}
	if run.full {
		return rep, tooMany()
	}
	if truncated {
		return rep, fmt.Errorf("%w: VEX %s", ErrIncomplete, clip.String(cause, 64))
	}
	return rep, nil
}

// productQuery is the inventory query of the artifacts a product of an
// affected statement names: by digest (a sha-256 hash, a pkg:oci package
// URL whose version is a sha256 digest), or by package URL (another type;
// at its version when it has one). false when it names neither.
func productQuery(p vex.Product) (inventory.Query, bool) {
	if h := strings.ToLower(p.Hashes["sha-256"]); h != "" {
		return inventory.Query{Digest: "sha256:" + h, Limit: inventory.MaxLimit}, true
	}
	for _, id := range p.PURLs() {
		u, err := vex.ParsePURL(id)
		if err != nil {
			continue
		}
		if u.Type == "oci" {
			if d, err := attest.ParseDigest(u.Version); err == nil && d.Algorithm == "sha256" {
				return inventory.Query{Digest: "sha256:" + strings.ToLower(d.Value), Limit: inventory.MaxLimit}, true
			}
			continue
		}
		ip, err := inventory.ParsePURL(id)
		if err != nil {
			continue
		}
		q := inventory.Query{Package: "pkg:" + ip.Key(), Limit: inventory.MaxLimit}
		if ip.Version != "" {
			q.Versions = []string{ip.Version}
		}
		if _, err := inventory.Compile(q); err == nil {
			return q, true
		}
	}
	return inventory.Query{}, false
}

func productName(p vex.Product) string {
	if ids := p.PURLs(); len(ids) > 0 {
		return ids[0]
	}
	if p.ID != "" {
		return p.ID
	}
	for _, k := range []string{"cpe23", "cpe22"} {
		if v := p.Identifiers[k]; v != "" {
			return v
		}
	}
	return "(unnamed product)"
}

// vexAttrs are the attributes of the statement common to VEX events.
func vexAttrs(e *audit.Event, st vex.Statement, signer string) {
	e.Attributes["vulnerability"] = clip.String(st.Vulnerability.Name, 256)
	if len(st.Vulnerability.Aliases) > 0 {
		aliases := make([]string, 0, min(len(st.Vulnerability.Aliases), maxListed))
		for _, a := range st.Vulnerability.Aliases[:cap(aliases)] {
			aliases = append(aliases, clip.String(a, 256))
		}
		e.Attributes["vulnerability_aliases"] = strings.Join(aliases, " ")
	}
	e.Attributes["vex_status"] = string(st.Status)
	e.Attributes["vex_signer"] = signer
	e.Attributes["vex_timestamp"] = st.Timestamp.UTC().Format(time.RFC3339Nano)
	if !st.LastUpdated.IsZero() {
		e.Attributes["vex_last_updated"] = st.LastUpdated.UTC().Format(time.RFC3339Nano)
	}
	if st.ID != "" {
		e.Attributes["vex_statement_id"] = untrusted(st.ID, 256)
	}
	if st.Justification != "" {
		e.Attributes["vex_justification"] = string(st.Justification)
	}
}

func packagesAttr(e *audit.Event, pkgs []inventory.Package) {
	purls := make([]string, 0, min(len(pkgs), maxListed))
	for _, p := range pkgs[:min(len(pkgs), maxListed)] {
		purls = append(purls, p.PURL)
	}
	if len(purls) > 0 {
		e.Attributes["packages"] = strings.Join(purls, " ")
	}
	if len(pkgs) > maxListed {
		e.Attributes["packages_total"] = fmt.Sprint(len(pkgs))
	}
}

func compliantAgainEvent(adv *Advisory, st vex.Statement, signer string, c Change) audit.Event {
	e := baseEvent(ActionCompliantAgain, c)
	e.Outcome, e.Violations = audit.OutcomeSuccess, nil
	vexAttrs(&e, st, signer)
	e.Attributes["advisory_id"] = adv.ID
	// The drift event this one answers has this id (derived alike).
	e.Attributes["resolves_event_id"] = eventID(ActionAdvisory, c.Digest, adv.ID)
	packagesAttr(&e, c.Packages)
	e.Reason = fmt.Sprintf("admitted by decision %s; advisory %s resolved by a VEX statement (%s) signed by %s",
		c.Admissions[0].DecisionID, adv.ID, st.Status, signer)
	return e
}

func vexAffectedEvent(st vex.Statement, signer string, c Change) audit.Event {
	e := baseEvent(ActionVEXAffected, c)
	vexAttrs(&e, st, signer)
	packagesAttr(&e, c.Packages)
	e.Reason = fmt.Sprintf("admitted by decision %s; affected by %s according to a VEX statement signed by %s",
		c.Admissions[0].DecisionID, clip.String(st.Vulnerability.Name, 200), signer)
	return e
}

// untrusted is text a VEX document's author chose (a statement's or a
// product's "@id", which the parser does not restrict), for an event
// attribute or a skip: as it is when printable ASCII of at most n bytes,
// otherwise quoted and clipped (no control or format character survives:
// a line break, a terminal escape, a bidirectional override), so that it
// cannot forge a line of a text audit log or reorder what an operator
// reads.
func untrusted(s string, n int) string {
	if len(s) <= n && !strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r > '~' }) {
		return s
	}
	return clip.Quote(s, n)
}
