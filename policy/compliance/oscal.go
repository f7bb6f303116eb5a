package compliance

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ztci/ztci/internal/strictjson"
)

// OSCALVersion is the OSCAL version of the assessment results this package
// writes (and the schema its tests validate them against).
const OSCALVersion = "1.1.3"

// PropNS is the namespace of the OSCAL props ztci writes.
const PropNS = "https://ztci.dev/ns/oscal"

// AssessmentResults is an OSCAL assessment-results document: the subset of
// the OSCAL 1.1 model a ztci report fills. Member names are OSCAL's.
type AssessmentResults struct {
	AssessmentResults ARBody `json:"assessment-results"`
}

// ARBody is the assessment-results object.
type ARBody struct {
	UUID     string   `json:"uuid"`
	Metadata Metadata `json:"metadata"`
	ImportAP ImportAP `json:"import-ap"`
	Results  []Result `json:"results"`
}

// Metadata is the document metadata.
type Metadata struct {
	Title        string     `json:"title"`
	LastModified string     `json:"last-modified"`
	Version      string     `json:"version"`
	OSCALVersion string     `json:"oscal-version"`
	Props        []Property `json:"props,omitempty"`
}

// ImportAP names the assessment plan. A ztci report has no separate plan:
// the policy revision that decided is the plan, named by a urn:ztci: URI.
type ImportAP struct {
	Href string `json:"href"`
}

// Result is one set of results: the controls reviewed, the observations
// (one per decision) and the findings (one per control).
type Result struct {
	UUID             string           `json:"uuid"`
	Title            string           `json:"title"`
	Description      string           `json:"description"`
	Start            string           `json:"start"`
	End              string           `json:"end,omitempty"`
	Props            []Property       `json:"props,omitempty"`
	ReviewedControls ReviewedControls `json:"reviewed-controls"`
	Observations     []Observation    `json:"observations,omitempty"`
	Findings         []Finding        `json:"findings,omitempty"`
}

// ReviewedControls lists the controls assessed.
type ReviewedControls struct {
	ControlSelections []ControlSelection `json:"control-selections"`
}

// ControlSelection selects controls by id.
type ControlSelection struct {
	IncludeControls []SelectControl `json:"include-controls,omitempty"`
}

// SelectControl names one control.
type SelectControl struct {
	ControlID string `json:"control-id"`
}

// Observation is one decision and the attestations it read.
type Observation struct {
	UUID             string             `json:"uuid"`
	Title            string             `json:"title,omitempty"`
	Description      string             `json:"description"`
	Props            []Property         `json:"props,omitempty"`
	Methods          []string           `json:"methods"`
	RelevantEvidence []RelevantEvidence `json:"relevant-evidence,omitempty"`
	Collected        string             `json:"collected"`
}

// RelevantEvidence is one attestation an observation rests on.
type RelevantEvidence struct {
	Description string     `json:"description"`
	Props       []Property `json:"props,omitempty"`
}

// Finding is one control's outcome.
type Finding struct {
	UUID                string               `json:"uuid"`
	Title               string               `json:"title"`
	Description         string               `json:"description"`
	Props               []Property           `json:"props,omitempty"`
	Target              Target               `json:"target"`
	RelatedObservations []RelatedObservation `json:"related-observations,omitempty"`
}

// Target is the control a finding is about and whether it is satisfied.
type Target struct {
	Type     string          `json:"type"`
	TargetID string          `json:"target-id"`
	Title    string          `json:"title,omitempty"`
	Status   ObjectiveStatus `json:"status"`
}

// ObjectiveStatus is "satisfied" or "not-satisfied", with a reason
// ("pass", "fail" or "other": not assessed).
type ObjectiveStatus struct {
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
}

// RelatedObservation points at an observation of the same result.
type RelatedObservation struct {
	ObservationUUID string `json:"observation-uuid"`
}

// Property is an OSCAL prop: a namespaced name and value.
type Property struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	NS    string `json:"ns,omitempty"`
}

// Props of observations and findings, in namespace PropNS.
const (
	PropDecisionID     = "decision-id"
	PropAction         = "action"
	PropSubject        = "subject"
	PropSubjectName    = "subject-name"
	PropOutcome        = "outcome"
	PropPolicyRevision = "policy-revision"
	PropPredicateType  = "predicate-type"
	PropDigest         = "attestation-digest"
	PropSigner         = "signer"
	PropStatus         = "assessment-status"
	PropRule           = "rule"
	PropFramework      = "framework"
	PropLabel          = "control-label"
)

// OSCAL returns the report as an OSCAL 1.1 assessment-results document,
// compact JSON: one result whose reviewed controls are every control of the
// catalog, one observation per decision (its props name the decision, the
// subject, the outcome and the policy revision; its relevant evidence the
// attestations by predicate type, digest and signer) and one finding per
// control (target status satisfied for [Pass], not-satisfied with reason
// "fail" for [Fail] and reason "other" for [NotAssessed], with an
// assessment-status prop saying which; related observations are the
// decisions that judged it). UUIDs are version 5, derived from the title,
// the generation time, the decision and control ids and the SHA-256 of
// everything else the document says, so the same report always writes the
// same bytes and two reports that say different things never share a
// UUID. The document is validated (see
// [ParseOSCAL]) before it is returned.
func (r *Report) OSCAL() ([]byte, error) {
	doc, err := r.assessmentResults()
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOSCAL, err)
	}
	return buf.Bytes(), nil
}

// assessmentResults builds the document. Its UUIDs name its content, not
// only its title and time: the document is built once with UUIDs derived
// from those, and its UUIDs are then derived from the SHA-256 of that
// encoding. Two reports of one title and time that say different things
// (one control passes in one, fails in the other; another decision) get
// different document, result, observation and finding UUIDs, so OSCAL
// tooling that keys documents by UUID never takes one for the other.
func (r *Report) assessmentResults() (*AssessmentResults, error) {
	at := r.Generated.UTC().Format(time.RFC3339Nano)
	draft, err := json.Marshal(r.build(uuid5(r.Title + "\x00" + at)))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOSCAL, err)
	}
	sum := sha256.Sum256(draft)
	return r.build(uuid5(r.Title + "\x00" + at + "\x00" + hex.EncodeToString(sum[:]))), nil
}

// build is the document whose UUIDs derive from root.
func (r *Report) build(root string) *AssessmentResults {
	at := r.Generated.UTC().Format(time.RFC3339Nano)
	sub := func(kind, id string) string { return uuid5(root + "\x00" + kind + "\x00" + id) }

	md := Metadata{Title: "Compliance: " + mdCode(r.Title), LastModified: at, Version: at, OSCALVersion: OSCALVersion}
	for _, f := range r.Frameworks {
		md.Props = appendProp(md.Props, PropFramework, f.Title)
	}
	revs := r.revisions()
	href := "urn:ztci:policy"
	if len(revs) == 1 {
		href = "urn:ztci:policy-revision:" + urnSafe(revs[0])
	}
	res := Result{
		UUID:        sub("result", ""),
		Title:       "ztci policy decisions: " + mdCode(r.Title),
		Description: fmt.Sprintf("Controls judged by %d policy decision(s) against the ztci control catalog.", len(r.Decisions)),
		Start:       at,
	}
	if s, e, ok := r.span(); ok {
		res.Start, res.End = s, e
	}
	for _, rev := range revs {
		res.Props = appendProp(res.Props, PropPolicyRevision, rev)
	}
	sel := ControlSelection{}
	for _, c := range r.Controls {
		sel.IncludeControls = append(sel.IncludeControls, SelectControl{ControlID: c.Control.ID})
	}
	res.ReviewedControls.ControlSelections = []ControlSelection{sel}
	obs := map[string]string{}
	for _, d := range r.Decisions {
		o := Observation{
			UUID:        sub("decision", d.ID),
			Title:       "Policy decision " + mdCode(d.ID),
			Description: oneLine(d.describe(mdCode)),
			Methods:     []string{"TEST"},
			Collected:   at,
		}
		if !d.Time.IsZero() {
			o.Collected = d.Time.UTC().Format(time.RFC3339Nano)
		}
		o.Props = appendProp(o.Props, PropDecisionID, d.ID)
		o.Props = appendProp(o.Props, PropAction, d.Action)
		o.Props = appendProp(o.Props, PropSubject, d.Subject)
		o.Props = appendProp(o.Props, PropSubjectName, d.Name)
		o.Props = appendProp(o.Props, PropOutcome, d.outcome())
		o.Props = appendProp(o.Props, PropPolicyRevision, d.PolicyRevision)
		for _, e := range d.Evidence {
			ev := RelevantEvidence{Description: oneLine(e.describe(mdCode))}
			ev.Props = appendProp(ev.Props, PropPredicateType, e.PredicateType)
			ev.Props = appendProp(ev.Props, PropDigest, e.Digest)
			ev.Props = appendProp(ev.Props, PropSigner, e.Signer)
			o.RelevantEvidence = append(o.RelevantEvidence, ev)
		}
		obs[d.ID] = o.UUID
		res.Observations = append(res.Observations, o)
	}
	for _, c := range r.Controls {
		f := Finding{
			UUID:        sub("control", c.Control.ID),
			Title:       c.Control.ID + ": " + oneLine(c.Control.Label),
			Description: oneLine(c.describe(mdCode)),
			Target: Target{Type: "objective-id", TargetID: c.Control.ID, Title: oneLine(c.Control.Title),
				Status: ObjectiveStatus{State: "not-satisfied", Reason: "other"}},
		}
		switch c.Status {
		case Pass:
			f.Target.Status = ObjectiveStatus{State: "satisfied", Reason: "pass"}
		case Fail:
			f.Target.Status = ObjectiveStatus{State: "not-satisfied", Reason: "fail"}
		}
		f.Props = appendProp(f.Props, PropStatus, string(c.Status))
		f.Props = appendProp(f.Props, PropFramework, c.Control.Framework)
		f.Props = appendProp(f.Props, PropLabel, c.Control.Label)
		for _, rule := range c.Rules {
			f.Props = appendProp(f.Props, PropRule, rule)
		}
		for _, id := range c.Decisions {
			f.RelatedObservations = append(f.RelatedObservations, RelatedObservation{ObservationUUID: obs[id]})
		}
		res.Findings = append(res.Findings, f)
	}
	return &AssessmentResults{AssessmentResults: ARBody{
		UUID:     root,
		Metadata: md,
		ImportAP: ImportAP{Href: href},
		Results:  []Result{res},
	}}
}

// revisions are the distinct policy revisions of the decisions, in order.
func (r *Report) revisions() []string {
	var out []string
	seen := map[string]bool{}
	for _, d := range r.Decisions {
		if d.PolicyRevision != "" && !seen[d.PolicyRevision] {
			seen[d.PolicyRevision] = true
			out = append(out, d.PolicyRevision)
		}
	}
	return out
}

// span is the first and last decision time, when every decision has one.
func (r *Report) span() (start, end string, ok bool) {
	var lo, hi time.Time
	for _, d := range r.Decisions {
		if d.Time.IsZero() {
			return "", "", false
		}
		if lo.IsZero() || d.Time.Before(lo) {
			lo = d.Time
		}
		if d.Time.After(hi) {
			hi = d.Time
		}
	}
	if lo.IsZero() {
		return "", "", false
	}
	return lo.UTC().Format(time.RFC3339Nano), hi.UTC().Format(time.RFC3339Nano), true
}

func (d *Decision) outcome() string {
	if d.Allowed {
		return "allow"
	}
	return "deny"
}

// describe says what d decided, each untrusted value through q: as it is
// for the text report (oneLine escapes it there), as a Markdown code span
// ([mdCode]) for OSCAL.
func (d *Decision) describe(q func(string) string) string {
	what := q(d.Subject)
	if d.Name != "" {
		what = q(d.Name)
		if d.Subject != "" && !strings.Contains(d.Name, d.Subject) {
			what += " (" + q(d.Subject) + ")"
		}
	}
	if what == "" {
		what = "its input"
	}
	rev := strconv.Quote(d.PolicyRevision)
	if d.PolicyRevision != "" {
		rev = q(rev)
	}
	s := fmt.Sprintf("%s of %s: %s under policy revision %s", q(d.Action), what, d.outcome(), rev)
	if len(d.Violations) > 0 {
		rules := make([]string, len(d.Violations))
		for i, v := range d.Violations {
			rules[i] = q(v.Rule)
		}
		s += "; violations: " + strings.Join(rules, ", ")
	}
	return s + "."
}

func (e *Evidence) describe(q func(string) string) string {
	s := q(e.PredicateType)
	if e.Digest != "" {
		s += " " + q(e.Digest)
	}
	if e.Signer != "" {
		s += " signed by " + q(e.Signer)
	}
	return s
}

func (c *ControlResult) describe(q func(string) string) string {
	var b strings.Builder
	switch c.Status {
	case Pass:
		fmt.Fprintf(&b, "Satisfied: %d decision(s) judged this control and none violated it.", len(c.Decisions))
	case Fail:
		fmt.Fprintf(&b, "Not satisfied: %d violation(s).", len(c.Failures))
		for _, f := range c.Failures {
			fmt.Fprintf(&b, " Decision %s: %s: %s.", q(f.Decision), q(f.Rule), q(strings.TrimSuffix(f.Message, ".")))
		}
	default:
		if len(c.Unassessed) > 0 {
			fmt.Fprintf(&b, "Not assessed: %d decision(s) judged this control, but %s did not (without the evidence its rules need, or denied before they could judge).",
				len(c.Decisions), joinQ(c.Unassessed, q))
			break
		}
		b.WriteString("Not assessed: no decision judged this control (no decision of an action whose rules enforce it, or without the evidence they need, or denied before its rules could judge).")
	}
	if len(c.Rules) > 0 {
		fmt.Fprintf(&b, " Enforced by: %s.", strings.Join(c.Rules, ", "))
	}
	return b.String()
}

func joinQ(list []string, q func(string) string) string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = q(s)
	}
	return strings.Join(out, ", ")
}

// mdCode writes untrusted text for an OSCAL title or description, which
// OSCAL defines as Markdown (markup-line, markup-multiline): on one line
// (see [oneLine]) and as a code span, fenced by one backtick more than
// the longest run of backticks it holds and padded by a space each side
// (which CommonMark strips), so that a viewer renders it as literal text.
// Written as it was, a violation message or an artifact's name could put
// a link, an image (fetched when the report is viewed), raw HTML or
// emphasis into the report an assessor reads. The empty string stays
// empty.
func mdCode(s string) string {
	s = oneLine(s)
	if s == "" {
		return ""
	}
	longest, run := 0, 0
	for i := range len(s) {
		if s[i] != '`' {
			run = 0
			continue
		}
		run++
		longest = max(longest, run)
	}
	fence := strings.Repeat("`", longest+1)
	return fence + " " + s + " " + fence
}

func ident(s string) string { return s }

// appendProp adds a PropNS prop, its value on one line; empty values are
// left out (OSCAL values are non-empty).
func appendProp(ps []Property, name, value string) []Property {
	value = oneLine(value)
	if value == "" {
		return ps
	}
	return append(ps, Property{Name: name, Value: value, NS: PropNS})
}

// oneLine collapses white-space runs to one space, trims, replaces
// invalid UTF-8 with U+FFFD and writes every other character that is not
// printable (unicode.IsPrint: a control such as ESC or the C1 CSI, a
// format character such as a bidirectional override) as a Go escape
// ("\x1b", "\u202e"). That makes any string an OSCAL StringDatatype (or
// empty): a caller's title, or a name or signer read from an artifact,
// that spans lines or is not UTF-8 would otherwise make [Report.OSCAL]
// fail on a report that [Assess] accepted. And it keeps what a violation
// message or an artifact's name holds from acting on the terminal or
// viewer that shows the report: an ESC sequence moving the cursor up
// rewrote a FAIL line above it as PASS.
func oneLine(s string) string {
	s = strings.Join(strings.FieldsFunc(strings.ToValidUTF8(s, "\uFFFD"), isSpace), " ")
	if !strings.ContainsFunc(s, notPrintable) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if notPrintable(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func notPrintable(r rune) bool { return !unicode.IsPrint(r) }

// isSpace is white space for Go or for ECMAScript's \s (which adds
// U+FEFF), so that what oneLine leaves passes the schema's \S.
func isSpace(r rune) bool { return unicode.IsSpace(r) || r == '\uFEFF' }

// isOSCALString is OSCAL's StringDatatype, ^\S(.*\S)?$ in ECMAScript: not
// empty, no white space at either end, no line terminator inside.
func isOSCALString(s string) bool {
	if s == "" || !utf8.ValidString(s) {
		return false
	}
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	if isSpace(first) || isSpace(last) {
		return false
	}
	return !strings.ContainsAny(s, "\n\r\u2028\u2029")
}

// isToken is OSCAL's TokenDatatype, ^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$.
func isToken(s string) bool {
	for i, r := range s {
		switch {
		case unicode.IsLetter(r) || r == '_':
		case i > 0 && (unicode.IsNumber(r) || r == '.' || r == '-'):
		default:
			return false
		}
	}
	return s != "" && utf8.ValidString(s)
}

// urnSafe keeps a policy revision readable in a URN: characters outside
// RFC 3986's unreserved set and ":" are percent-encoded.
func urnSafe(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~:", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// uuidNS is the namespace of the version 5 UUIDs reports use: the v5 UUID
// of the URL https://ztci.dev/ns/oscal in RFC 4122's URL namespace would do
// as well; any fixed value keeps reports reproducible.
var uuidNS = [16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}

// uuid5 is the RFC 4122 version 5 (SHA-1, name-based) UUID of name in the
// URL namespace above.
func uuid5(name string) string {
	h := sha1.New()
	h.Write(uuidNS[:])
	h.Write([]byte(name))
	u := h.Sum(nil)[:16]
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	x := hex.EncodeToString(u)
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

var (
	uuidForm = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[45][0-9A-Fa-f]{3}-[89ABab][0-9A-Fa-f]{3}-[0-9A-Fa-f]{12}$`)
	// uriRef is a loose check of OSCAL's URIReferenceDatatype: no spaces
	// or control characters.
	uriRef = regexp.MustCompile(`^[^\x00-\x20\x7f]+$`)
)

// oscalDateTime is the OSCAL 1.1.3 schema's pattern of
// DateTimeWithTimezoneDatatype: stricter than RFC 3339 as time.Parse reads
// it (a comma before the fraction, any offset), so what ParseOSCAL
// accepts the schema accepts.
var oscalDateTime = regexp.MustCompile(`^(((2000|2400|2800|(19|2[0-9](0[48]|[2468][048]|[13579][26])))-02-29)|(((19|2[0-9])[0-9]{2})-02-(0[1-9]|1[0-9]|2[0-8]))|(((19|2[0-9])[0-9]{2})-(0[13578]|10|12)-(0[1-9]|[12][0-9]|3[01]))|(((19|2[0-9])[0-9]{2})-(0[469]|11)-(0[1-9]|[12][0-9]|30)))T(2[0-3]|[01][0-9]):([0-5][0-9]):([0-5][0-9])(\.[0-9]+)?(Z|(-((0[0-9]|1[0-2]):00|0[39]:30)|\+((0[0-9]|1[0-4]):00|(0[34569]|10):30|(0[58]|12):45)))$`)

var arSchema = strictjson.SchemaOf(reflect.TypeFor[AssessmentResults]())

// ParseOSCAL strictly reads an OSCAL assessment-results document of the
// form [Report.OSCAL] writes. It refuses input over MaxSize, invalid UTF-8,
// repeated members or members spelt in another case, null, members outside
// the subset this package writes (OSCAL allows many more; this reader is
// for ztci's own reports), and everything [AssessmentResults.Validate]
// refuses. Errors wrap ErrOSCAL.
func ParseOSCAL(b []byte) (*AssessmentResults, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("%w: %w: %d bytes, limit %d", ErrOSCAL, ErrTooLarge, len(b), MaxSize)
	}
	if !utf8.Valid(b) {
		return nil, fmt.Errorf("%w: not valid UTF-8", ErrOSCAL)
	}
	if err := arSchema.Check(b); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOSCAL, err)
	}
	if strictjson.HasNull(b) {
		return nil, fmt.Errorf("%w: null is not allowed", ErrOSCAL)
	}
	var doc AssessmentResults
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOSCAL, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the document", ErrOSCAL)
	}
	if err := doc.Validate(); err != nil {
		return nil, err
	}
	return &doc, nil
}

// Validate checks what the OSCAL 1.1 schema requires of the members this
// package writes (required members, non-empty arrays, UUID, token, string,
// date-time and enumerated values) and, beyond the schema, that UUIDs are
// unique, related observations exist and every finding says one status as
// [Report.OSCAL] writes it: satisfied with reason "pass", at least one
// related observation and assessment-status "pass", or not-satisfied with
// reason "fail" or "other" and assessment-status "fail" or
// "not-assessed". Errors wrap ErrOSCAL.
func (a *AssessmentResults) Validate() error {
	v := &validator{uuids: map[string]bool{}}
	ar := &a.AssessmentResults
	v.uuid("assessment-results.uuid", ar.UUID)
	md := &ar.Metadata
	v.str("metadata.title", md.Title)
	v.dateTime("metadata.last-modified", md.LastModified)
	v.str("metadata.version", md.Version)
	v.str("metadata.oscal-version", md.OSCALVersion)
	v.props("metadata.props", md.Props)
	if ar.ImportAP.Href == "" || !uriRef.MatchString(ar.ImportAP.Href) {
		v.fail("import-ap.href", "not a URI reference")
	}
	if len(ar.Results) == 0 {
		v.fail("results", "empty")
	}
	for i := range ar.Results {
		v.result(fmt.Sprintf("results[%d]", i), &ar.Results[i])
	}
	return v.err
}

// findingStatus holds a finding to the form [Report.OSCAL] writes, beyond
// the schema: its target status is satisfied with reason "pass" and at
// least one related observation (the decisions that judged it), or
// not-satisfied with reason "fail" or "other", and its one
// assessment-status prop says the same ([Pass], [Fail], [NotAssessed]).
// A document that says satisfied where its own status prop says fail, or
// with no decision behind it, or says nothing of why, is refused, not
// read as a control met.
func (v *validator) findingStatus(f string, fd *Finding) {
	want := map[ObjectiveStatus]Status{
		{State: "satisfied", Reason: "pass"}:      Pass,
		{State: "not-satisfied", Reason: "fail"}:  Fail,
		{State: "not-satisfied", Reason: "other"}: NotAssessed,
	}
	st, ok := want[fd.Target.Status]
	if !ok {
		v.fail(f+".target.status", "state %q with reason %q is not what a report writes", truncate(fd.Target.Status.State), truncate(fd.Target.Status.Reason))
		return
	}
	if st == Pass && len(fd.RelatedObservations) == 0 {
		v.fail(f+".related-observations", "a satisfied control without the decisions that judged it")
	}
	var said []string
	for _, p := range fd.Props {
		if p.Name == PropStatus && p.NS == PropNS {
			said = append(said, p.Value)
		}
	}
	if len(said) != 1 || said[0] != string(st) {
		v.fail(f+".props", "assessment-status %q does not say %q, as its target status does", truncate(strings.Join(said, ",")), st)
	}
}

// nonEmpty enforces the schema's minItems 1 on an array that is present.
func (v *validator) nonEmpty(field string, present bool, n int) {
	if present && n == 0 {
		v.fail(field, "an empty array")
	}
}

type validator struct {
	uuids map[string]bool
	err   error
}

func (v *validator) fail(field, format string, args ...any) {
	if v.err == nil {
		v.err = fmt.Errorf("%w: %s: "+format, append([]any{ErrOSCAL, field}, args...)...)
	}
}

func (v *validator) uuid(field, s string) {
	if !uuidForm.MatchString(s) {
		v.fail(field, "%q is not a version 4 or 5 UUID", truncate(s))
		return
	}
	k := strings.ToLower(s)
	if v.uuids[k] {
		v.fail(field, "UUID %s used twice", s)
	}
	v.uuids[k] = true
}

func (v *validator) str(field, s string) {
	if !isOSCALString(s) {
		v.fail(field, "%q is empty, spans lines or has surrounding space", truncate(s))
	}
}

func (v *validator) tok(field, s string) {
	if !isToken(s) {
		v.fail(field, "%q is not a token", truncate(s))
	}
}

func (v *validator) dateTime(field, s string) {
	t, err := time.Parse(time.RFC3339Nano, s) // a time zone is required
	if err != nil || !oscalDateTime.MatchString(s) {
		v.fail(field, "%q is not a date-time with a time zone", truncate(s))
		return
	}
	if y := t.Year(); y < 1900 || y > 2999 {
		v.fail(field, "year %d is outside OSCAL's date-time range", y)
	}
}

func (v *validator) props(field string, ps []Property) {
	v.nonEmpty(field, ps != nil, len(ps))
	for i, p := range ps {
		f := fmt.Sprintf("%s[%d]", field, i)
		v.tok(f+".name", p.Name)
		v.str(f+".value", p.Value)
		if p.NS != "" && !uri.MatchString(p.NS) {
			v.fail(f+".ns", "%q is not an absolute URI", truncate(p.NS))
		}
	}
}

func (v *validator) result(field string, r *Result) {
	v.uuid(field+".uuid", r.UUID)
	if r.Title == "" {
		v.fail(field+".title", "empty")
	}
	if r.Description == "" {
		v.fail(field+".description", "empty")
	}
	v.dateTime(field+".start", r.Start)
	if r.End != "" {
		v.dateTime(field+".end", r.End)
	}
	v.props(field+".props", r.Props)
	sels := r.ReviewedControls.ControlSelections
	if len(sels) == 0 {
		v.fail(field+".reviewed-controls.control-selections", "empty")
	}
	for i, s := range sels {
		f := fmt.Sprintf("%s.reviewed-controls.control-selections[%d].include-controls", field, i)
		v.nonEmpty(f, s.IncludeControls != nil, len(s.IncludeControls))
		for j, c := range s.IncludeControls {
			v.tok(fmt.Sprintf("%s[%d].control-id", f, j), c.ControlID)
		}
	}
	observations := map[string]bool{}
	for i := range r.Observations {
		o := &r.Observations[i]
		f := fmt.Sprintf("%s.observations[%d]", field, i)
		v.uuid(f+".uuid", o.UUID)
		observations[strings.ToLower(o.UUID)] = true
		if o.Description == "" {
			v.fail(f+".description", "empty")
		}
		v.props(f+".props", o.Props)
		if len(o.Methods) == 0 {
			v.fail(f+".methods", "empty")
		}
		for j, m := range o.Methods {
			v.str(fmt.Sprintf("%s.methods[%d]", f, j), m)
		}
		v.nonEmpty(f+".relevant-evidence", o.RelevantEvidence != nil, len(o.RelevantEvidence))
		for j, e := range o.RelevantEvidence {
			if e.Description == "" {
				v.fail(fmt.Sprintf("%s.relevant-evidence[%d].description", f, j), "empty")
			}
			v.props(fmt.Sprintf("%s.relevant-evidence[%d].props", f, j), e.Props)
		}
		v.dateTime(f+".collected", o.Collected)
	}
	for i := range r.Findings {
		fd := &r.Findings[i]
		f := fmt.Sprintf("%s.findings[%d]", field, i)
		v.uuid(f+".uuid", fd.UUID)
		if fd.Title == "" || fd.Description == "" {
			v.fail(f, "needs a title and a description")
		}
		v.props(f+".props", fd.Props)
		if t := fd.Target.Type; t != "objective-id" && t != "statement-id" {
			v.fail(f+".target.type", "%q is neither objective-id nor statement-id", truncate(t))
		}
		v.tok(f+".target.target-id", fd.Target.TargetID)
		if s := fd.Target.Status.State; s != "satisfied" && s != "not-satisfied" {
			v.fail(f+".target.status.state", "%q is neither satisfied nor not-satisfied", truncate(s))
		}
		if fd.Target.Status.Reason != "" {
			v.tok(f+".target.status.reason", fd.Target.Status.Reason)
		}
		v.findingStatus(f, fd)
		v.nonEmpty(f+".related-observations", fd.RelatedObservations != nil, len(fd.RelatedObservations))
		for j, ro := range fd.RelatedObservations {
			rf := fmt.Sprintf("%s.related-observations[%d].observation-uuid", f, j)
			if !uuidForm.MatchString(ro.ObservationUUID) {
				v.fail(rf, "%q is not a UUID", truncate(ro.ObservationUUID))
			} else if !observations[strings.ToLower(ro.ObservationUUID)] {
				v.fail(rf, "names no observation of the result")
			}
		}
	}
	v.nonEmpty(field+".observations", r.Observations != nil, len(r.Observations))
	v.nonEmpty(field+".findings", r.Findings != nil, len(r.Findings))
}
