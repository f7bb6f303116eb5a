// Package compliance says which controls of NIST SSDF (SP 800-218), the
// SLSA v1.0 build track and PCI DSS v4.0 requirement 6 the built-in policy
// library enforces, and turns policy decisions into a compliance report
// per release or per artifact: every control with pass, fail or not
// assessed, and its evidence (decision ids, attestation digests), as OSCAL
// 1.1 assessment-results JSON and as text.
//
// # The control catalog
//
// [Catalog] maps every rule id the library emits ("deploy.signer_not_allowed")
// to the controls it enforces ("SSDF-PS.2.1",
// "SLSA-BUILD-L2.provenance-authentic"), with the action whose decisions
// evaluate it, the evidence it needs to judge anything and one line saying
// why. [Builtin] reads it from the library itself: policy.Library()'s
// ztci/controls.json ([BuiltinPath]).
//
// The mapping is one JSON document rather than METADATA annotations on the
// Rego rules because a rule id is emitted by many rule bodies (ten for
// kubernetes.malformed) and in several files, so per-body annotations
// would repeat each mapping and could disagree; one document is read by any
// tool without a Rego parser; and OPA's bundle loader reads only .rego,
// data.json and data.yaml files, so the catalog changes neither a decision
// nor the policy revision. The tests keep the two from drifting: every
// rule id a violation object of the library names (found by parsing the
// modules) has an entry whose action is the one of the package emitting
// it, every entry is emitted, every control is enforced by some rule, and
// the evidence kinds are the predicate types the Rego rules look for.
// [ParseCatalog] reads a vendor's catalog of the same form for its own
// rules.
//
// Control ids are OSCAL tokens, so they are the report's control-ids:
// "SSDF-<task>" for SSDF tasks, "SLSA-BUILD-L<n>.<requirement>" for SLSA
// build-level requirements ("SLSA-VERIFY.expectations" for the
// verification step the SLSA specification asks of consumers), and
// "PCI-DSS-<requirement>" for PCI DSS. Input-validation rules
// (deploy.malformed, ztci.unknown_action, ...) map to no control: they
// refuse input the other rules cannot judge.
//
// # Reports
//
// [Assess] takes the decisions of a release (or of one artifact), each a
// [Decision] with its id, action, subject, violations, policy revision and
// the [Evidence] it read (attestation predicate type, digest, signer), and
// returns a [Report] naming every control of the catalog with its
// [Status] ([Pass], [Fail] or [NotAssessed]), the decisions that judged it,
// their evidence and the violations that failed it:
//
//	cat, err := compliance.Builtin()
//	report, err := compliance.Assess(cat, "app v1.2.0", time.Now(), compliance.Decision{
//		ID: d.AuditID, Action: "deploy", Subject: d.Digest, Allowed: d.PolicyAllowed,
//		Violations: d.Violations, PolicyRevision: d.PolicyRevision, Time: t, Evidence: verified})
//	oscal, err := report.OSCAL()   // OSCAL 1.1.3 assessment-results JSON
//	err = report.WriteText(os.Stdout)
//
// [Report.OSCAL] writes one OSCAL result: the reviewed controls, one
// observation per decision and one finding per control (see its
// documentation for the mapping); it is built from this package's own
// minimal structs, because no maintained OSCAL Go library could be fetched
// here (defenseunicorns/go-oscal is not served by the module proxy this
// project uses). Subpackage compliancetest validates documents against
// NIST's official OSCAL 1.1.3 JSON schema, and the tests of this package
// and of examples/runner do so for every report shape. The same report
// always writes the same bytes, and its UUIDs name its content: two
// reports that say different things share none. [ParseOSCAL] reads a
// report back strictly, and refuses a finding whose status is not said
// one way (satisfied with reason "pass", the decisions behind it and an
// assessment-status prop of "pass"; or not satisfied, with reason and
// prop agreeing).
//
// # Security contract
//
// A report is only as good as its decisions: Assess trusts the decisions
// and evidence it is given (take them from a gate's decisions and its
// verified attestations, never from the artifact's producer). A deny
// without violations (a gate Decision with Outcome "error": a request the
// policy did not decide) passes no control; so [Decision].Allowed is what
// the policy itself decided (policy.Decision.PolicyAllowed), since an
// evaluator in Warn or DryRun mode allows whatever its policy decided, and
// a policy that denies without a violation would then pass every control
// (a gate's Decision.Allowed is the policy's verdict only when its
// evaluator enforces). A control passes only when a decision of an action whose rules enforce it ran
// those rules to the end — a decision denied by input validation or by a
// rule the catalog does not map is no evidence for any control — and, for
// rules that judge an attestation (scans, secrets provenance), only when
// the decision read such an attestation. A report of several decisions
// (a release) fails closed per decision: a control passes only if every
// decision of an action whose rules enforce it judged it, so an artifact
// the gate never decided, or one without the scan a control needs, leaves
// that control not assessed for the release however many others passed
// it ([ControlResult.Unassessed] names such decisions). A rule that the deploy
// configuration turns off (max_scan_age_seconds 0, require_scan false)
// still counts as judged when its evidence is present: the report names
// the policy revision, which identifies the configuration, for the
// assessor to check. Text from decisions (violation messages, subject
// names, signers, ids) and from the catalog is written in both forms on
// one line, with every control and format character (ESC, the C1 CSI, a
// bidirectional override) as a Go escape ("\x1b", "\u202e"): a message
// quoting an attacker's image name cannot move a terminal's cursor over
// the FAIL line above it, nor start a paragraph of its own in an OSCAL
// description. OSCAL titles and descriptions are Markdown, so there each
// untrusted value is also a code span (`name`, fenced by more backticks
// than it holds), which a viewer renders as literal text: a message cannot
// add a link, an image, HTML or emphasis to the report; the props carry
// the same values as plain strings. A decision of an action for which no
// catalog rule enforces a control (a misspelt action) judges nothing and
// keeps every control from passing. Parsers refuse rather than guess (see [ParseCatalog]);
// errors wrap [ErrCatalog], [ErrDecision] or [ErrOSCAL].
package compliance
