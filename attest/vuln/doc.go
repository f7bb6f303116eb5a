// Package vuln turns vulnerability scanner output into signed evidence: it
// reads the JSON reports of Trivy, Grype and OSV-Scanner into one model, writes that
// model as the in-toto vulnerability predicate, and reads the predicate
// back.
//
// # Model
//
// A [Scan] names its [Scanner], the time the report was produced (UTC) and
// its [Finding]s. A finding is one vulnerability matched in one package: the
// scanner's primary id (CVE-…, GHSA-…), its aliases, a [Severity]
// normalised to critical, high, medium, low or unknown (see
// [ParseSeverity] for the table), the package's name, installed version and
// package URL, and the versions that fix it. [ParseTrivy] reads
// `trivy image --format json` (report SchemaVersion 2), [ParseGrype]
// reads `grype -o json` and [ParseOSVScanner] reads `osv-scanner --format
// json`; all three fill the same fields with the same meaning.
//
// OSV-Scanner differs in three ways, each documented on ParseOSVScanner:
// one finding is one alias group of OSV records (GHSA-…, GO-…, CVE-…) in
// one package; severity is osv-scanner's own max_severity (the highest
// CVSS base score of the group's records) rated with the CVSS v3.0 table as
// osv-scanner rates it (a max_severity that is not a plain decimal score,
// "NaN" included, is unknown), else the GitHub advisory label in
// database_specific.severity, else unknown; and the report has no time, no
// scanner version and no versioned package URL, so the caller sets
// Scan.Time and Package.PURL names the package without a version.
//
//	scan, err := vuln.ParseTrivy(report)
//	...
//	st, err := attest.NewStatement(
//		[]attest.ResourceDescriptor{{Name: ref, Digest: attest.DigestSet{"sha256": hex}}},
//		vuln.Predicate(*scan))
//	// sign st with an attest.Signer; later, after verification:
//	scan, err = vuln.ParseScan(verifiedStatementJSON)
//
// # Why the in-toto vulnerability predicate
//
// [PredicateType] is https://in-toto.io/attestation/vulns/v0.1 (in-toto
// attestation spec/predicates/vuln.md). It was chosen over an OSV-based
// document because it is an in-toto predicate type, so a scan rides in the
// same Statement, DSSE envelope, signature and policy input as the SLSA
// provenance, SBOM and test-result predicates this module already signs and
// verifies, bound to the artifact digest as its subject; and because it
// carries exactly what a gate needs and OSV does not: which scanner, which
// version, and when the scan ran (the age a gate checks). OSV describes
// vulnerabilities, not a scan of one artifact. The spec has since published
// v0.2; v0.1 is the version issue #17 names, and a move is a new
// PredicateType beside this one, not a change to the model.
//
// The spec fixes the scanner, per-result id and severity list, and the scan
// times; it leaves per-result details to producer annotations. This package
// writes:
//
//   - scanner.uri: a package URL of the scanner's source without version
//     (pkg:github/aquasecurity/trivy); the scanner name is its last path
//     segment, since the spec has no name field. scanner.version as
//     reported. scanner.db is not written: neither report format records
//     the database state.
//   - scanner.result[].severity: one entry of method [SeverityMethod]
//     ("ztci") with the normalised severity as score, always exactly one of
//     "critical", "high", "medium", "low", "unknown". When reading, a result
//     without that method is unknown, never low; a score of that method
//     spelt any other way ("CRITICAL", "critical ", "moderate", "") and a
//     method spelt "ZTCI" or " ztci" are refused, not normalised, so a
//     policy that compares the signed strings exactly sees the severity the
//     gate counts. Only the scanner report parsers normalise vendor
//     spellings (with [ParseSeverity]), and they emit only the constants.
//   - scanner.result[].annotations: one-key objects with string values:
//     "alias", "package.name", "package.version", "package.purl",
//     "fixedVersion"; alias and fixedVersion repeat for lists When
//     reading, one of these keys spelt otherwise ("Alias", "package.PURL")
//     is refused: a dropped alias would hide a statement naming the
//     finding by it.
//   - metadata.scanStartedOn and scanFinishedOn: both the report's time,
//     because Trivy and Grype record only one.
//
// # Decoding
//
// All four parsers refuse input larger than [MaxReportSize], anything but
// one JSON object, duplicate object keys at any depth (two keys equal under
// case folding are duplicates: encoding/json keeps the last, other readers
// the exact one), text that is not Unicode, values of the wrong JSON
// type, and more array elements than the input's size allows (checked
// before decoding, strictjson.ErrTooManyElements: a flood of empty
// elements decoded to hundreds of times its size); they fail with [ErrInvalidReport] (scanner output) or
// [ErrInvalidScan] (predicate, which wraps attest.ErrInvalidPredicate).
// Unknown fields are ignored: scanners add fields between releases and a
// parser that refused them would break on every upgrade; third-party
// producers of the predicate may add the spec example's "invocation". Key
// matching follows encoding/json (case-insensitive) for the scanner
// formats; the predicate's names are the spec's, case-sensitive, and one
// spelt in another case ("Result") is refused. ParseScan also refuses,
// before decoding, a predicate whose arrays would decode to more than
// twice its length plus 64 KiB (`"result":[{},{},…]`; the error wraps
// strictjson's ErrTooManyElements): the predicate comes from an
// attestation any signer can produce.
// Inputs that would read as "no vulnerabilities" without saying so are
// refused: a Grype document without "matches", a Trivy report without
// SchemaVersion 2, an osv-scanner report without "results", a predicate
// without scanner.result. So is an osv-scanner package that lists one
// record id twice or names a record in two groups (or twice in one): each
// record is read once, so the work is bounded by the report's size.
//
// A finding's id and aliases are compared with VEX statements' as
// strings, so ParseScan refuses one that is not printable ASCII without
// spaces ("CVE-2026-1 ", a Unicode hyphen), as attest/vex refuses such a
// VEX id, and the scanner parsers trim ids as they trim aliases.
//
// What a scanner suppressed is a finding: Grype's "ignoredMatches" and
// the vulnerabilities of Trivy's "ExperimentalModifiedFindings"
// (--show-suppressed) are read after the listed ones. The scanner's ignore rules are the scanning
// job's configuration (a .grype.yaml or .trivyignore committed to the
// scanned repository), which nobody signs for; a finding is lifted by a
// VEX statement from a signer the gate trusts. Trivy leaves out what it
// suppressed without --show-suppressed, and what --severity,
// --ignore-unfixed and --ignore-status filter out always: run it with
// --show-suppressed and without those filters.
//
// # Security contract
//
// A Scan is evidence about an artifact only when the Statement carrying it
// was signed by an identity the verifier allows, the signature was verified,
// and the Statement's subject digest is the artifact's digest. None of the
// parsers verifies anything: ParseTrivy, ParseGrype and ParseOSVScanner
// read what a scanner wrote, and ParseScan reads a predicate or Statement
// as given. Feed ParseScan only the payload of a verified envelope. A zero
// Scan.Time (Grype test snapshots redact the timestamp; osv-scanner records
// none) cannot be written as a predicate, so no signed scan lacks the time a freshness rule needs;
// consumers must still deny a scan older than their limit and treat
// [SeverityUnknown] as at least as severe as their threshold requires.
// Error messages quote at most 64 bytes of untrusted input.
package vuln
