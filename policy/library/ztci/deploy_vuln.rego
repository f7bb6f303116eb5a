# Deploy rules over vulnerability findings and OpenVEX statements. They
# extend the deploy rule set (package ztci.deploy): findings come from
# scans signed by an allowed attestation signer (trusted(a)); VEX
# statements count only when signed by an identity in vex_signers, which
# is not added to the attestation signers.
#
#   Config (data.ztci.config.deploy): deny_severity ("critical", "high",
#   "medium", "low"; absent: off), vex_signers ([] : no VEX counts).
#
#   deploy.vulnerability: a finding at or above deny_severity that no
#     counted VEX statement lifts. A severity other than critical, high,
#     medium, low (unknown, missing, misspelt) is above every threshold. A
#     scan that lists no findings but counts some at or above the threshold
#     denies too: nothing could lift them.
#
# A VEX statement (attestation.vex.statements, the statements that name
# the artifact) lifts finding f when
#   - its signer is in vex_signers;
#   - its status is "fixed", or "not_affected" with one of the five OpenVEX
#     justifications (an impact statement alone does not count), and its
#     timestamp is an RFC 3339 time of a day that exists, not in the
#     future (five minutes of clock skew allowed: lib.signed_time_ns),
#     and so is its last_updated when it has one;
#   - its vulnerability or one of its aliases is f's id or one of f's
#     aliases (compared without case);
#   - it names no subcomponents, or one of them matches f's package as
#     OpenVEX matches package URLs (purl_match);
#   - no counted-signer statement that may cover f (names one of f's ids,
#     or one of the ids the lifting statement names, and f's package, a
#     package URL that may be f's package spelled otherwise
#     (purl_may_name: v1.2.3 or 1.2.3, qualifiers or none), or a part the
#     rules cannot compare with f's package: a subcomponent or a package
#     that is not a package URL), with another status ("affected",
#     "under_investigation", anything unknown), is as recent or more
#     recent, or has no readable time. As recent: not older by both
#     readings of the dates (older), so its timestamp is not before the
#     lifting statement's, or its last change (the later of its
#     timestamp and last_updated) is not before the lifting statement's
#     (a tie cancels the lift). A statement whose timestamp or
#     last_updated is not a readable time (lib.signed_time_ns: in the
#     future beyond the clock skew, a day that does not exist, not RFC
#     3339) lifts nothing and, contrary, always counts as more recent.
# A statement with an unknown status or without justification never lifts
# anything, and no statement lifts anything of an artifact with a VEX
# attestation of a counted signer that does not read (vex_unread). The same lifting discounts critical findings, and findings of
# a severity the rules do not recognise, which count as critical, from
# max_critical (deploy.critical_findings, in deploy.rego).
package ztci.deploy

import data.ztci.lib

vex_type := "https://openvex.dev/ns/v0.2.0"

vex_signers := lib.config("deploy", "vex_signers", [])

severity_rank := {"critical": 4, "high": 3, "medium": 2, "low": 1}

vex_justifications := {
	"component_not_present",
	"vulnerable_code_not_present",
	"vulnerable_code_not_in_execute_path",
	"vulnerable_code_cannot_be_controlled_by_adversary",
	"inline_mitigations_already_exist",
}

# severity(f): the finding's severity as the rules read it, in lower case
# and without surrounding whitespace ("CRITICAL", "Critical " and
# "critical" are one label); "" when it is not a string.
severity(f) := lower(trim_space(f.severity)) if is_string(f.severity)

else := ""

# finding_rank: the finding's severity rank; anything unrecognised
# ("unknown", a CVSS score, a misspelling, none) ranks above critical.
finding_rank(f) := r if r := severity_rank[severity(f)]

else := 5

# critical_rank: a finding at this rank or above counts as critical
# (max_critical): critical, and every severity the rules do not recognise.
# attest/vuln's security contract asks consumers to treat
# SeverityUnknown "as at least as severe as their threshold requires",
# and Finding.Severity documents anything unrecognised as above every
# threshold: a scan whose only finding says "unknown", "Critical " or
# "9.8" must not pass max_critical 0 as clean.
critical_rank := 4

# findings(att) are the finding objects of a scan attestation.
findings(att) := [f |
	fs := object.get(att, ["scan", "findings"], [])
	is_array(fs)
	some f in fs
	is_object(f)
]

# vex_attestations(a) are a's VEX attestations signed by an allowed VEX
# signer.
vex_attestations(a) := [att |
	is_object(a)
	atts := object.get(a, "attestations", [])
	is_array(atts)
	some att in atts
	is_object(att)
	att.predicate_type == vex_type
	lib.signer_allowed(att.signer, vex_signers)
]

# vex_statements(a) are the statement objects of a's VEX attestations
# signed by an allowed VEX signer.
vex_statements(a) := [s |
	some att in vex_attestations(a)
	ss := object.get(att, ["vex", "statements"], [])
	is_array(ss)
	some s in ss
	is_object(s)
]

ids(x, key) := {upper(i) | some i in array.concat([object.get(x, key, null)], aliases(x)); is_string(i); i != ""}

aliases(x) := xs if {
	xs := object.get(x, "aliases", [])
	is_array(xs)
} else := []

# vex_time: the statement's time (lib.signed_time_ns); a statement dated
# in the future, on a day that does not exist or not in RFC 3339 has no
# readable time.
vex_time(s) := lib.signed_time_ns(s.timestamp)

# vex_updated: when the statement was last changed (OpenVEX last_updated,
# the gate passes the statement's, else the document's), read as
# vex_time; a statement without last_updated was last changed at its
# timestamp. A last_updated present but not readable (in the future, on a
# day that does not exist, not RFC 3339, not a string) leaves the
# statement without a readable time, as such a timestamp does.
vex_updated(s) := lib.signed_time_ns(object.get(s, "last_updated", s.timestamp))

# vex_changed: the statement's last change, the later of its timestamp and
# its last_updated (a last_updated before the timestamp says nothing
# newer).
vex_changed(s) := max({vex_time(s), vex_updated(s)})

# dated: both of the statement's times are readable.
dated(s) if {
	vex_time(s)
	vex_updated(s)
}

lifting(s) if {
	s.status == "fixed"
	dated(s)
}

lifting(s) if {
	s.status == "not_affected"
	is_string(s.justification)
	vex_justifications[s.justification]
	dated(s)
}

# contrary: a status that does not say the finding is harmless. A
# not_affected statement without justification is neither lifting nor
# contrary.
contrary(s) if not s.status in {"fixed", "not_affected"}

subcomponent_covers(s, _) if {
	subs := object.get(s, "subcomponents", [])
	is_array(subs)
	count(subs) == 0
}

subcomponent_covers(s, f) if {
	subs := object.get(s, "subcomponents", [])
	is_array(subs)
	some p in subs
	purl_match(p, f["package"])
}

# vex_index[i][ID] are the counted statements about artifact objs[i] that
# name vulnerability ID (upper case) by name or alias. Rules read it whole
# (object.get(vex_index, ...)), which OPA evaluates once per decision and
# caches, so a finding looks up only the statements naming it instead of
# scanning all.
vex_index[i][id] contains s if {
	some i, a in objs
	some s in vex_statements(a)
	some id in ids(s, "vulnerability")
}

# has_vex(i): objs[i] has counted statements, and no VEX attestation of
# a counted signer about it that the rules cannot read (vex_unread).
# vex_index is read whole, so the lookup does not evaluate the rule again
# for key i.
has_vex(i) if {
	object.get(vex_index, i, null) != null
	not i in vex_unread
}

# vex_unread are the indexes of the artifacts (objs) with a VEX
# attestation signed by a counted signer that does not read: no
# summary (the gate could not read the document), statements that are
# not a list of objects (null, a Go VEX{} naming none, is none), a
# statement that names no
# vulnerability or whose aliases are not a list (they would read as
# none, and a later "affected" naming the finding by one of them would
# go unseen), or an OpenVEX predicate type of another version
# ("https://openvex.dev/ns", "https://openvex.dev/ns/v0.2.1"). What it
# says cannot be known, and it may be the later "affected" about a
# finding another statement lifts: for such an artifact no statement
# lifts anything, as one the rules cannot place lifts nothing.
vex_unread contains i if {
	some i, a in objs
	atts := object.get(a, "attestations", [])
	is_array(atts)
	some att in atts
	is_object(att)
	vex_like(att)
	lib.signer_allowed(att.signer, vex_signers)
	not vex_readable(att)
}

vex_like(att) if {
	is_string(att.predicate_type)
	startswith(att.predicate_type, "https://openvex.dev/ns")
}

vex_like(att) if object.get(att, "vex", null) != null

vex_readable(att) if {
	att.predicate_type == vex_type
	is_object(att.vex)
	statements_readable(object.get(att.vex, "statements", null))
}

statements_readable(null)

statements_readable(ss) if {
	is_array(ss)
	every s in ss {
		is_object(s)
		count(ids(s, "vulnerability")) > 0
		lib.array_or_absent(s, "aliases")
	}
}

# naming(i, names) are the counted statements about objs[i] that name one
# of names (upper case).
naming(i, names) := [s |
	some id in names
	some s in object.get(vex_index, [i, id], set())
]

# lifted: some counted statement lifts f and none as recent contradicts it:
# none naming one of f's ids, nor one of the ids the lifting statement
# names ("GHSA-x" with alias "CVE-1" lifts finding CVE-1; a later
# "affected" about GHSA-x alone is about the same vulnerability). An
# artifact without counted statements is settled before any lookup.
lifted(i, f) if {
	has_vex(i)
	fids := ids(f, "id")
	some s in naming(i, fids)
	lifting(s)
	subcomponent_covers(s, f)
	not contradicted(naming(i, fids | ids(s, "vulnerability")), f, s)
}

contradicted(cands, f, s) if {
	some t in cands
	contrary(t)
	may_cover(t, f)
	not older(t, s)
}

# may_cover: contrary statement t may be about f's package. It is unless
# both sides are package URLs that cannot name one package (purl_may_name):
# a subcomponent named otherwise (a CPE, an identifier), a finding whose
# package is not a package URL (the gate's "name@version"), or
# subcomponents that are not a list cannot be placed, and a later
# "affected" the rules cannot place must not be read as being about
# something else. (A lifting statement needs a match, subcomponent_covers:
# what cannot be placed lifts nothing.)
may_cover(t, f) if subcomponent_covers(t, f)

may_cover(t, f) if {
	subs := object.get(t, "subcomponents", [])
	is_array(subs)
	some p in subs
	purl_may_name(p, object.get(f, "package", null))
}

may_cover(t, _) if not is_array(object.get(t, "subcomponents", []))

may_cover(t, _) if {
	subs := object.get(t, "subcomponents", [])
	is_array(subs)
	some p in subs
	not purl_parts(p)
}

may_cover(t, f) if {
	subs := object.get(t, "subcomponents", [])
	is_array(subs)
	count(subs) > 0
	not purl_parts(object.get(f, "package", null))
}

# older: contrary statement t is older than lifting statement s by both
# readings of their dates, so s may win: by timestamp (when each was known
# to be true) and by last change (vex_changed: OpenVEX last_updated, and a
# signer who re-confirms "affected" updates last_updated, not timestamp).
# A tie, or a time either lacks (dated), and t wins: it blocks. So a
# not_affected dated between an "affected"'s timestamp and its
# re-confirmation lifts nothing, and a later last_updated never helps a
# lifting statement whose timestamp is not later than t's.
older(t, s) if {
	vex_time(t) < vex_time(s)
	vex_changed(t) < vex_changed(s)
}

violations contains v if {
	threshold := severity_rank[lib.config("deploy", "deny_severity", "")]
	some i, a in objs
	some att in trusted(a)
	is_scan(att)
	some f in findings(att)
	finding_rank(f) >= threshold
	not lifted(i, f)
	v := {
		"rule": "deploy.vulnerability",
		"message": sprintf("artifact %s has finding %q (severity %q) in %q, at or above %q, and no VEX statement from an allowed signer says it is fixed or not affected", [artifact_label(a), lib.show(f, "id"), lib.show(f, "severity"), lib.show(f, "package"), lib.config("deploy", "deny_severity", "")]),
		"value": object.get(f, "id", null),
	}
}

# A scan that counts more findings of a severity at or above the
# threshold than it lists: no statement can lift what is not named. Each
# severity is compared on its own (a list of one low finding does not
# stand for ten high ones), and a count that is not a non-negative number
# is unreadable (a negative one would offset the others).
violations contains v if {
	threshold := severity_rank[lib.config("deploy", "deny_severity", "")]
	some a in objs
	some att in trusted(a)
	is_scan(att)
	some sev, rank in severity_rank
	rank >= threshold
	c := object.get(att, ["scan", sev], 0)
	is_number(c)
	n := c - count([f | some f in findings(att); severity(f) == sev])
	n > 0
	v := {
		"rule": "deploy.vulnerability",
		"message": sprintf("artifact %s has a scan counting %d %s findings (at or above %q) that it does not list", [artifact_label(a), n, sev, lib.config("deploy", "deny_severity", "")]),
		"value": n,
	}
}

violations contains v if {
	threshold := severity_rank[lib.config("deploy", "deny_severity", "")]
	some a in objs
	some att in trusted(a)
	is_scan(att)
	some sev, rank in severity_rank
	rank >= threshold
	c := object.get(att, ["scan", sev], 0)
	not non_negative_number(c)
	v := {
		"rule": "deploy.scan_unreadable",
		"message": sprintf("artifact %s has a scan whose %s count is %s, not a non-negative number", [artifact_label(a), sev, lib.printable(c)]),
		"value": sev,
	}
}

non_negative_number(x) if {
	is_number(x)
	x >= 0
}

# lifted_criticals(i, att) is the number of att's findings counted as
# critical (critical_rank) that a counted VEX statement about objs[i]
# lifts; deploy.critical_findings discounts them.
lifted_criticals(i, att) := count([f |
	has_vex(i)
	some f in findings(att)
	finding_rank(f) >= critical_rank
	lifted(i, f)
])

# purl_parts parses a package URL as attest/vex.ParsePURL does (type lower
# case; namespace and name segments percent-decoded, none holding "/";
# version and qualifier values percent-decoded; the version after the
# last "@").
purl_parts(p) := parts if {
	is_string(p)
	m := regex.find_all_string_submatch_n(`^pkg:/*([A-Za-z][A-Za-z0-9.+-]*)/+([^?#]+?)(?:@([^?#@]+))?(?:\?([^#]*))?(?:#(.*))?$`, p, 1)
	count(m) == 1
	g := m[0]
	every x in [g[2], g[3], g[4]] {
		decodable(x)
	}
	segs := [urlquery.decode(x) | some x in split(trim(g[2], "/"), "/")]
	every x in segs {
		not contains(x, "/") # as attest/vex.ParsePURL: "a%2Fb" is not "a/b"
	}
	parts := {
		"type": lower(g[1]),
		"path": segs,
		"version": urlquery.decode(g[3]),
		"qualifiers": {lower(k): urlquery.decode(val) |
			g[4] != ""
			some kv in split(g[4], "&")
			k := split(kv, "=")[0]
			val := trim_prefix(trim_prefix(kv, k), "=")
		},
		"subpath": g[5],
	}
}

# decodable: every "%" starts a percent-escape, so urlquery.decode cannot
# fail (a builtin error would leave the decision undecided).
decodable(x) if regex.match(`^([^%]|%[0-9A-Fa-f]{2})*$`, x)

# purl_match: pattern names purl — same type, namespace and name (as the
# type's registry compares names, registry_name); the same version when
# pattern has one; every qualifier of pattern in purl with the same value;
# the same subpath when pattern has one. attest/vex.MatchPURL is the same
# rule.
purl_match(pattern, purl) if {
	purl_prefix_match(pattern, purl)
} else := full_purl_match(pattern, purl)

# purl_prefix_match: the common case without parsing — a pattern with no
# qualifiers, subpath or escapes that purl spells out, followed by nothing,
# by qualifiers or a subpath, or (pattern without version) by a version.
# It says true only where full_purl_match would.
purl_prefix_match(pattern, purl) if {
	is_string(pattern)
	is_string(purl)
	startswith(pattern, "pkg:")
	not regex.match(`[%?#]`, pattern)
	decodable(purl)
	rest := trim_prefix(purl, pattern)
	rest != purl
	prefix_rest_ok(pattern, rest)
}

prefix_rest_ok(_, "")

prefix_rest_ok(_, rest) if substring(rest, 0, 1) in {"?", "#"}

prefix_rest_ok(pattern, rest) if {
	not contains(trim_prefix(pattern, "pkg:"), "@")
	startswith(rest, "@")
	not regex.match(`[@/]`, substring(rest, 1, -1))
	count(rest) > 1
}

full_purl_match(pattern, purl) if {
	p := purl_parts(pattern)
	u := purl_parts(purl)
	p.type == u.type
	[registry_name(p.type, s) | some s in p.path] == [registry_name(u.type, s) | some s in u.path]
	version_ok(p.version, u.version)
	version_ok(p.subpath, u.subpath)
	every k, val in p.qualifiers {
		u.qualifiers[k] == val
	}
}

# registry_name: a namespace segment or name as the type's registry
# compares it. PyPI and NuGet hold every spelling of a name to be one
# package (PEP 503: ASCII case-insensitive, every run of "-", "_" and "."
# alike; NuGet ids ASCII case-insensitive), so a statement about
# zope.interface covers a scanner's zope-interface. Every other type
# compares exactly: npm and Go treat names differing in case as different
# packages, and a statement must not lift a finding about a package it
# does not name. Only ASCII letters are lowered (ascii_lower): lower()
# maps the Kelvin sign to "k" and "İ" to "i", and "\u212aeras", a name
# neither registry accepts, is not keras.
registry_name("pypi", s) := regex.replace(ascii_lower(s), `[-_.]+`, "-")

registry_name("nuget", s) := ascii_lower(s)

# ascii_lower is s with the letters A-Z lowered and every other character
# as it is (internal/asciifold.Lower).
ascii_lower(s) := strings.replace_n(ascii_lower_map, s)

ascii_lower_map := {"A": "a", "B": "b", "C": "c", "D": "d", "E": "e", "F": "f", "G": "g", "H": "h", "I": "i", "J": "j", "K": "k", "L": "l", "M": "m", "N": "n", "O": "o", "P": "p", "Q": "q", "R": "r", "S": "s", "T": "t", "U": "u", "V": "v", "W": "w", "X": "x", "Y": "y", "Z": "z"}

registry_name(t, s) := s if not t in {"pypi", "nuget"}

# purl_may_name: package URLs p (a contrary statement's subcomponent) and
# u (a finding's package) may name one package, as far as spelling goes:
# the same type, names equal without case (and PyPI's separators and Go's
# module-proxy "!" folded), versions that may be one (version_may_equal),
# qualifiers and subpath ignored. Scanners and VEX authors spell one
# package differently (v1.2.3 and 1.2.3, an epoch, qualifiers one side
# lists and the other does not), and a later "affected" must cancel a
# lift unless it is certainly about another package; purl_match, which a
# lifting statement needs, stays exact.
purl_may_name(p, u) if {
	pp := purl_parts(p)
	up := purl_parts(u)
	pp.type == up.type
	[loose_name(pp.type, x) | some x in pp.path] == [loose_name(up.type, x) | some x in up.path]
	version_may_equal(pp.version, up.version)
}

loose_name("pypi", s) := regex.replace(lower(s), `[-_.]+`, "-")

loose_name(t, s) := replace(lower(s), "!", "") if t != "pypi"

# version_may_equal: versions a and b may be one version in some
# ecosystem's ordering, compared as strings (the rules know no ordering):
# either is unknown (""), or they are alike once case, a leading "v", an
# epoch ("1:"), the separators between numbers and letters, leading zeros
# and trailing zero components are set aside (v1.2.0 and 1.2, 7.0.01 and
# 7.0.1, 1:2.36-9 and 2.36.9, 1.0RC1 and 1.0-rc.1).
version_may_equal("", _)

version_may_equal(_, "")

version_may_equal(a, b) if {
	a != ""
	b != ""
	version_shape(a) == version_shape(b)
}

version_shape(v) := shape if {
	s := regex.replace(regex.replace(lower(v), `^[0-9]+:`, ""), `^v([0-9])`, "${1}")
	tokens := regex.find_n(`[0-9]+|[a-z]+`, s, -1)
	joined := concat(".", [trimmed | some t in tokens; trimmed := regex.replace(t, `^0+([0-9])`, "${1}")])
	shape := regex.replace(joined, `(\.0)+$`, "")
}

version_ok("", _)

version_ok(want, got) if {
	want != ""
	want == got
}
