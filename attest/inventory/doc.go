// Package inventory is the index of what a deploy gate admitted: for every
// allowed decision, the artifact digest, the image reference, the builder
// identities (every verified provenance's) and the job identity, the policy
// revision, the decision id, the time, the packages of the artifact's
// verified SBOMs, the identities that signed the attestations the decision
// relied on, and the policy input it was evaluated on. It answers the
// incident question "where is this vulnerable package deployed?" by
// package URL and version range, and lists admissions by digest, builder
// (any of an admission's), signer SAN, key id or policy revision (the
// questions of a revocation or a policy change, see package drift).
//
// # Use
//
//	store := inventory.NewMemory() // or boltinventory.Open(path), pginventory.New(ctx, pool)
//	g, err := gate.New(tokens, verifiers, eval, sink, gate.WithInventory(store))
//	...
//	res, err := store.Query(ctx, inventory.Query{
//		Package: "pkg:golang/golang.org/x/net",
//		Ranges:  []inventory.Range{{Fixed: "0.33.0"}},
//	})
//
// [Store] is the seam (Record, Query); [Memory] is the in-process store,
// boltinventory persists the same index in a local bbolt file and
// pginventory in PostgreSQL for a fleet; inventorytest.Run is the
// conformance suite every store passes. [Normalize], [Compile] and
// [Matcher] are the shared validation and filtering, so every store refuses
// and selects alike.
//
// Packages come from SBOMs: [Packages] reads SPDX 2.x JSON (externalRefs of
// type purl) and CycloneDX 1.4–1.6 JSON (component purl, nested components
// included, and those nested in metadata.component) strictly and within
// bounds. [ParsePURL] is a strict package URL parser: a malformed package
// URL is a [*PURLError] and refuses the whole SBOM, never a silently
// dropped package. So does a package URL whose version differs from its
// package's versionInfo or version ([ErrSBOMVersionConflict]): scanners
// disagree on which of the two they match, and the index must find what
// any of them reports.
//
// # Source packages
//
// Distributions publish advisories by source package (Debian's and
// Ubuntu's trackers name openssl, Alpine's secdb the origin package, Red
// Hat's errata the source RPM), while an image's SBOM lists the binary
// packages built from it (libssl3, libcrypto3, openssl-libs). An OS
// package (deb, apk, rpm, alpm) whose package URL names its source in an
// "upstream" qualifier, as syft writes it (upstream=openssl,
// upstream=glibc%402.36-9 for a binNMU,
// upstream=openssl-3.0.7-24.el9.src.rpm), is therefore indexed under its
// source package too: same type and namespace, the source's name, and the
// source's version (the qualifier's; a source RPM's version-release with
// the binary's epoch; otherwise the binary's). [CycloneDXPackages] reads
// Trivy's source properties (aquasecurity:trivy:SrcName, SrcVersion,
// SrcRelease, SrcEpoch) into the same qualifier. So the advisory's
// pkg:deb/debian/openssl and its range find an image that ships only
// libssl3; results mark such a package [Package.Source] and name the
// binary package it came from ([Package.From]). This happens in
// [Normalize], so every store indexes source packages alike, as ordinary
// package entries (no store format changed); admissions recorded by an
// earlier build are not re-derived (the stores kept no qualifiers).
//
// An upstream qualifier that names no source package (empty, "(none)", a
// name with other characters than ASCII letters, digits, '.', '_', '+'
// and '-', an empty version, a source RPM file name that is not
// name-version-release) is ignored and the binary package indexed: a
// query by its source misses that image, but a refusal would deny its
// deployment over a hint, and a signer could drop the hint as well. A
// malformed package URL (a control character or a bad escape, in any
// qualifier) still refuses the SBOM. A source version that does not parse
// in the type's ordering is indexed, and listed [Package.Unordered] by a
// range or an exact-version query.
//
// # Versions and ranges
//
// A [Range] is an OSV-style range (introduced inclusive, fixed exclusive or
// last_affected inclusive): vulnerability databases publish ranges in this
// shape, so an advisory translates field by field, and a struct needs no
// parser of its own as a vers: string would. Versions are ordered by their
// ecosystem's own rules ([CompareVersions]): semantic versioning for
// golang, npm, cargo, hex and swift, PEP 440 for pypi, Maven's
// ComparableVersion for maven, dpkg for deb, rpmvercmp for rpm and
// apk-tools' for apk (so an Alpine advisory's range,
// pkg:apk/alpine/openssl fixed in 3.1.4-r6, finds the images shipping an
// older libssl3), Gem::Version for gem (1.0.0.a < 1.0), NuGet.Versioning
// for nuget (four numbers, labels without case), composer/semver's
// normalization and PHP's version_compare for composer (dev < alpha <
// beta < RC < release < patch) and pub_semver for pub (build metadata
// ordered: 1.0.0 < 1.0.0+1). A range asked of any other type fails with
// an [*EcosystemError] (exact [Query.Versions] still work): the index
// never guesses an order. The "epoch" qualifier of an rpm, deb or alpm
// package URL is part of the version wherever that comes from, the
// package URL or the SBOM's version field beside one without version
// (pkg:rpm/redhat/openssl?epoch=1 with version 2.1-1 is 1:2.1-1); one
// that is not a number or names another epoch than the version refuses
// the package URL or SBOM. An indexed version that does not parse in its
// ordering ("(devel)", an empty version, a Composer branch dev-main) is
// returned for a range or an exact-version query marked
// [Package.Unordered] — listed because it may be in the range or be the
// version asked for, never left out silently: "which images ship
// log4j-core 2.14.1?" lists an image whose SBOM names log4j-core without
// a version. (For a type without an ordering, where exact versions
// compare byte for byte, only an empty version is listed so.) Where an ecosystem's
// own tool reads a version in a way this package does not reproduce (a
// signed or hexadecimal pre-release identifier for pub and swift), the
// version is refused rather than ordered differently.
//
// # Security contract
//
//   - Only verified SBOMs are indexed: the gate records the packages of the
//     SBOM attestations that verified and were not revoked, for decisions it
//     allowed; never a rejected attestation, never a denied decision.
//   - A query result proves that a gate allowed the digest at that time
//     under that policy revision, for that job, and that a signer the gate
//     trusted declared these packages in it. It does not prove that the
//     artifact runs anywhere now (an admission is not a deployment, and
//     removals are not recorded), nor that the SBOM is complete: a package
//     the SBOM omits, or lists without a package URL, is not found. An
//     empty answer therefore means "no admitted artifact declares it", not
//     "not deployed".
//   - Where recording fails the gate denies (fail closed): an admission
//     that cannot be indexed would be invisible to incident response. A
//     store records an admission entirely or not at all.
//   - The policy input is kept so that a new policy revision can be re-run
//     on what was admitted. It holds no secret values (policy.Input
//     carries secret names, digests and claims, never a secret), but it
//     does hold the job's claims and the verified attestations' facts:
//     give the index the protection of the audit log. It is refused when
//     larger than [MaxPolicyInput] or not one JSON object.
//   - Input is bounded: package URLs ([MaxPURLLen]), versions
//     ([MaxVersionLen]), fields ([MaxFieldLen]), packages per admission
//     ([MaxPackages]), builders ([MaxBuilders]), signers ([MaxSigners]),
//     policy input ([MaxPolicyInput]), SBOM size ([MaxSBOMSize]) and
//     nesting ([MaxComponentDepth]), the elements an SBOM holds for its
//     size (an SBOM whose arrays would decode to more than twice its
//     length plus 64 KiB, as `"components":[{},{},…]` would, is refused
//     with [ErrInvalidSBOM] wrapping strictjson's ErrTooManyElements before
//     it is decoded), query terms ([MaxQueryTerms]) and
//     results ([MaxLimit], with [Result.Truncated] saying when more
//     matched).
//   - Qualifiers and subpath are ignored for matching; namespaces and names
//     are normalized as the purl specification says per type (for example
//     golang and npm are case-insensitive), nuget ids as NuGet compares
//     them (case-insensitively: pkg:nuget/Newtonsoft.Json is keyed and
//     printed as pkg:nuget/newtonsoft.json), and pypi names as PyPI
//     compares them (PEP 503: lower case, every run of '-', '_' and '.'
//     one '-', so pkg:pypi/zope.interface and pkg:pypi/Zope_Interface are
//     one package, keyed and printed as pkg:pypi/zope-interface), a '/'
//     percent-encoded in a name as a path separator (pkg:npm/%40a%2Fb is
//     pkg:npm/%40a/b) and a golang path's module-proxy case-encoding as
//     the letter it encodes (github.com/!azure is github.com/Azure), so
//     matching errs toward reporting more, never less. The normalization
//     has one home, [ParsePURL]: index keys, queries and package drift's
//     advisory matching all go through it. A change to it changes index
//     keys, so the persistent stores record a format version and migrate
//     older data when they open it ([CanonicalKey]), and refuse data of a
//     newer format ([*FormatError]).
//   - Reporting more is safe for finding packages, not for lifting a
//     finding: pkg:golang/github.com/Foo/bar and github.com/foo/bar are two
//     Go modules with one index key. So stores keep each package's
//     spelling beside its key, without changing any key, and return it
//     ([Package.Spelled]); drift lifts a finding by a VEX statement only
//     for the packages it names in that spelling, as the registry
//     compares names. A package recorded by an older build, which kept no
//     spelling, reads as before, and its spelling is unknown: drift does
//     not lift its finding where its key may stand for another package.
//     A source package the index derived is lifted only by a statement
//     naming the binary package it was derived from ([Package.From]),
//     never by the source's name: pkg:deb/debian/openssl is also the
//     binary package openssl, and a statement about it does not cover
//     libssl3. Derived through several packages, it is lifted only by a
//     statement about the artifact as a whole.
//   - An error from a Store means it could not record or answer; callers
//     that gate on it deny.
package inventory
