// Package compliancetest validates OSCAL documents against NIST's official
// OSCAL 1.1.3 JSON schema (embedded; see README.md for its source and
// licence), for tests of code that writes them: policy/compliance's
// reports, a vendor's own, and the runner's.
//
//	raw, err := report.OSCAL()
//	if err := compliancetest.ValidateOSCAL(raw); err != nil {
//		t.Fatal(err)
//	}
//
// The validator implements the JSON Schema draft-07 keywords the OSCAL
// schema uses (type, properties, required, additionalProperties, items,
// minItems, minimum, enum, pattern, allOf, anyOf, oneOf, $ref); "format" is
// an annotation in draft-07 and is not asserted, as validators do by
// default, and the ECMAScript patterns are run as RE2 with "." excluding
// line terminators. OSCAL's Metaschema constraints beyond the JSON schema
// (allowed values, cross-references) are not checked. It is a test helper:
// it embeds a 260 KB schema, so production code should not import it.
package compliancetest
