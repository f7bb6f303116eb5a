# METADATA
# title: ztci library helpers
package ztci.lib

# config returns data.ztci.config[section][key], or def when unset. null
# reads as unset (policy/doc.go): object.get alone would return it, and a
# null list would turn a rule off ("production_environments": null, no
# production environment) or abort evaluation (count(null)).
config(section, key, def) := v if {
	v := object.get(data.ztci.config, [section, key], null)
	v != null
} else := def

# untrusted_triggers: run triggers whose jobs never count as running on a
# protected ref (data.ztci.config.untrusted_triggers). GitHub runs a
# pull_request_target workflow with the base branch's ref, ref_protected
# true and the repository's secrets for a pull request from anyone, so a
# workflow that checks out the pull request runs unreviewed code under the
# protected ref's name. A workflow_run workflow runs the same way after a
# workflow a pull request from anyone started, and commonly takes that
# run's artifacts or code: the two "pwn request" triggers of GitHub
# Security Lab's advisory. ssh-rerun is the trigger identity/claims gives
# a CircleCI job rerun with SSH: an interactive shell holding the job's
# identity and secrets runs whatever its user types. The default is
# identity/claims' DefaultUntrustedTriggers (a test compares them).
# issue_comment, issues, discussion and
# discussion_comment also run on the default branch with its secrets for
# anyone, but run only the reviewed workflow unless it fetches a pull
# request's code: they are not in the default (LibraryConfig's
# UntrustedTriggers says when to list them).
# null reads as unset, the default: only a non-null list (the empty one
# included) says which triggers to distrust.
untrusted_triggers := v if {
	v := object.get(data.ztci.config, "untrusted_triggers", null)
	v != null
} else := ["pull_request_target", "workflow_run", "ssh-rerun"]

# protected_job: the job runs on a protected ref (its protected flag is the
# boolean true) and was not started by an untrusted trigger.
protected_job(job) if {
	is_true(job.protected)
	not untrusted_trigger(job)
}

# untrusted_trigger: the job's trigger is untrusted (untrusted_value).
untrusted_trigger(job) if {
	is_object(job)
	untrusted_value(object.get(job, "trigger", null))
}

# untrusted_value: t, a run trigger as the input states it (a job's,
# a build's provenance's, a signing certificate's), is one of
# untrusted_triggers, compared without case and surrounding whitespace,
# or is there (not null) and not a string. The list names triggers to
# distrust, so it matches broadly: "Pull_Request_Target" or
# ["pull_request_target"] must not read as a trusted trigger where the
# exact name would not.
untrusted_value(t) if {
	is_string(t)
	lower(trim_space(t)) in untrusted_lower
}

untrusted_value(t) if {
	t != null
	not is_string(t)
}

untrusted_lower := {lower(trim_space(t)) | some t in untrusted_triggers; is_string(t)}

# signer_trigger: the run trigger the certificate that signed x (an
# artifact or an attestation: x.signer) names, Fulcio's build trigger
# (signer.claims.event); "" when it names none.
signer_trigger(x) := object.get(x, ["signer", "claims", "event"], "") if is_object(x)

else := ""

# untrusted_signer: the certificate that signed x names an untrusted
# trigger (signer_trigger, untrusted_value).
untrusted_signer(x) if untrusted_value(signer_trigger(x))

# rfc3339_ns is the RFC 3339 time s ("2026-12-05T09:00:00Z",
# "2026-12-05T10:00:00.5+01:00") in nanoseconds since the epoch, and
# undefined for anything else: a day that does not exist ("2026-02-30"),
# hour 24, second 60, an offset beyond 23:59 or a year outside 1678-2261
# (what nanoseconds since the epoch hold) reads as no time, never as a
# builtin error that leaves the decision undecided.
rfc3339_ns(s) := time.parse_rfc3339_ns(s) if {
	is_string(s)
	m := regex.find_all_string_submatch_n(`^([0-9]{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$`, s, 1)
	count(m) == 1
	year := m[0][1]
	year >= "1678"
	year <= "2261"
	m[0][3] <= days_in_month(to_number(year), m[0][2])
}

# days_in_month is the last day of month m ("01"-"12") of year y, as two
# digits.
days_in_month(_, m) := "30" if m in {"04", "06", "09", "11"}

days_in_month(y, "02") := "29" if leap_year(y)

days_in_month(y, "02") := "28" if not leap_year(y)

days_in_month(_, m) := "31" if not m in {"02", "04", "06", "09", "11"}

leap_year(y) if {
	y % 4 == 0
	y % 100 != 0
}

leap_year(y) if y % 400 == 0

# max_clock_skew_ns is how far ahead of this clock a stated time may lie
# (five minutes) before it reads as no time.
max_clock_skew_ns := 300000000000

# signed_time_ns is the time signed evidence states (a scan's or a VEX
# statement's), rfc3339_ns(s), when it is not in the future beyond the
# clock skew allowed: a scan dated next year never goes stale, and a VEX
# statement dated next year would outrank every statement made until
# then. A time in the future reads as no time.
signed_time_ns(s) := t if {
	t := rfc3339_ns(s)
	t <= time.now_ns() + max_clock_skew_ns
}

# pinned_digest: a reference pinned by an OCI digest. Anything that is not
# a string is not pinned (and not a builtin error that aborts evaluation).
pinned_digest(ref) if {
	is_string(ref)
	regex.match(`@sha256:[a-f0-9]{64}$`, ref)
}

# pinned_commit: an action reference pinned to a full commit SHA, the
# whole ref after its only "@", of a plain name (plain_ref_name). act
# (Gitea and Forgejo Actions) reads the ref as everything after the first
# "@": "actions/checkout@main@<sha>" is the branch "main@<sha>", which
# moves.
pinned_commit(ref) if {
	is_string(ref)
	regex.match(`^[^@]+@[a-f0-9]{40}$`, ref)
	plain_ref_name(ref)
}

# plain_ref_name: the name before ref's first "@" is printable ASCII
# without "%", "?" or "#". Where a name is, or becomes, a URL (a GitLab
# remote include, a Gitea action "https://host/owner/repo@<ref>"), what
# follows "?" or "#" is the query or fragment, which the server ignores:
# ".../-/raw/main/ci.yml?p=@<sha>" fetches main's ci.yml, whatever it says
# today, and "@<sha>" pins nothing. A percent-escape decodes to what the
# rules did not read ("%40" an "@", "%2e%2e" a ".." segment), and
# whitespace, controls and other characters no forge allows in an owner,
# repository or orb name are not a name the rules can place. A reference
# whose name is not plain is not pinned.
plain_ref_name(ref) if {
	is_string(ref)
	not regex.match(`[^\x21-\x7e]|[%?#]`, split(ref, "@")[0])
}

# allowed_prefix: ref is a string that starts with one of the allow-listed
# prefixes at a boundary of its parts: ref is the prefix, the prefix ends
# with "/", ":" or "@", or the character after it in ref is one of them.
# So "ghcr.io/acme" covers "ghcr.io/acme/app@sha256:…" and
# "ghcr.io/acme:v1" but not "ghcr.io/acme-evil/app" or
# "ghcr.io/acmecorp/app"; "ghcr.io" does not cover
# "ghcr.io.evil.example/app"; "registry.example:5000" does not cover
# "registry.example:50001/app"; "actions/checkout" does not cover
# "actions/checkout-evil@…".
allowed_prefix(ref, prefixes) if {
	is_string(ref)
	some p in prefixes
	is_string(p)
	p != ""
	startswith(ref, p)
	prefix_boundary(ref, p)
}

prefix_separators := {"/", ":", "@"}

# allowed_image: ref, an image reference, is under one of the
# allow-listed prefixes, both read as Docker reads a reference
# (normal_image): Docker Hub's short names are compared in full, so
# "alpine" (docker.io/library/alpine) covers "alpine:3.20@sha256:…",
# "library/alpine", "docker.io/library/alpine" and
# "index.docker.io/library/alpine@sha256:…", but not "alpine/git"
# (docker.io/alpine/git, the namespace of Docker Hub's user alpine,
# which anyone may have registered); "cimg/" covers "cimg/go:1.22", and
# "docker.io/acme" is docker.io/library/acme, as Docker reads it (a
# namespace is "docker.io/acme/"). The prefix matches at a boundary
# (allowed_prefix) and names the reference's registry whole
# (registry_covered): "alpine" does not cover "alpine:5000/evil/app@…",
# the image evil/app at the registry on host alpine, port 5000, and
# "registry.example" does not cover "registry.example:5000/app", another
# registry. A registry is compared as spelled: "GHCR.io", "ghcr.io." or
# "ghcr.io:443" is not "ghcr.io", and is not covered by a prefix naming
# ghcr.io (only "index.docker.io" is read as "docker.io", as Docker does).
allowed_image(ref, prefixes) if {
	n := normal_image(ref)
	host := docker_host(split_image(ref)[0])
	some p in prefixes
	some np in image_prefixes(p)
	registry_covered(np, host)
	allowed_prefix(n, [np])
}

# normal_image is ref in full as Docker's reference parser
# (ParseNormalizedNamed: splitDockerDomain) reads it: the registry host
# (Docker Hub's, "docker.io", when ref names none; "index.docker.io" read
# as "docker.io"), "/", and the path, under "library/" for a Docker Hub
# name of one part. Tag and digest are kept as written.
normal_image(ref) := concat("/", [h, hub_path(h, rest)]) if {
	is_string(ref)
	[host, rest] := split_image(ref)
	h := docker_host(host)
}

# split_image is [registry host, the rest] of ref; the host is
# "docker.io" for a reference that names none (image_registry).
split_image(ref) := [host, substring(ref, count(host) + 1, -1)] if {
	host := image_registry(ref)
} else := ["docker.io", ref]

docker_host(h) := "docker.io" if h == "index.docker.io"

else := h

# hub_path: a Docker Hub path of one part is an official image, under
# "library/".
hub_path(host, rest) := concat("/", ["library", rest]) if {
	host == "docker.io"
	not contains(rest, "/")
}

else := rest

# image_prefixes are the readings of an allow-listed prefix p: p as an
# image reference (normal_image: "alpine" is docker.io/library/alpine,
# "cimg/" docker.io/cimg/), and, for a p of one part that Docker would
# read as a registry host before a "/" ("registry.example",
# "registry.example:5000", "localhost"), that host: every image on it.
image_prefixes(p) := {np | named_prefix(p); np := normal_image(p)} | {np |
	named_prefix(p)
	not contains(p, "/")
	registry_host(p)
	np := docker_host(p)
}

named_prefix(p) if {
	is_string(p)
	p != ""
}

# image_registry is the registry host (and port) of an image reference
# that names one, as Docker's reference parser (splitDockerDomain) reads
# it: the part before the first "/" when it holds a "." or ":", is
# "localhost" or is not in lower case ("alpine:5000/evil/app" is the
# registry at host alpine, port 5000; "alpine:3.19" the tag 3.19 of
# docker.io/library/alpine); undefined for one of Docker Hub's ("alpine",
# "acme/app").
image_registry(ref) := host if {
	is_string(ref)
	i := indexof(ref, "/")
	i > 0
	host := substring(ref, 0, i)
	registry_host(host)
}

registry_host(h) if regex.match(`[.:]`, h)

registry_host("localhost")

registry_host(h) if lower(h) != h

registry_covered(p, host) if p == host

registry_covered(p, host) if startswith(p, concat("", [host, "/"]))

prefix_boundary(ref, p) if ref == p

prefix_boundary(_, p) if substring(p, count(p) - 1, 1) in prefix_separators

prefix_boundary(ref, p) if substring(ref, count(p), 1) in prefix_separators

# signer_allowed: the signer's SAN and issuer are non-empty strings that
# match an allowed entry exactly (an entry left empty, in a data document
# LibraryConfig.Validate did not check, matches no signer: a keyed
# signature has neither).
signer_allowed(signer, allowed) if {
	is_string(signer.san)
	is_string(signer.issuer)
	signer.san != ""
	signer.issuer != ""
	some a in allowed
	signer.san == a.san
	signer.issuer == a.issuer
}

# secret_name: name is a non-empty literal secret name. A glob ("prod/*")
# must not be matched against what a backend could read as another
# secret: an empty, "." or ".." segment ("prod/..", "prod/", "/prod/db"),
# a percent-escape or backslash (decoded or read as a separator
# downstream), "#" or ";" (where the path a backend puts the name in
# ends for a URL or a servlet: under a grant "ci/*-public",
# "ci/prod-db#-public" is read as "ci/prod-db"), glob characters (a name
# is not a pattern; "?" also ends a URL's path), or any
# character outside printable ASCII. A backend that normalizes a name
# before looking it up (NFKC) reads "ci/．．/prod/db" or "ci/‥/prod/db" as
# "ci/../prod/db", "ｐrod/db" as "prod/db" and "℅" as "c/o", and Rego
# cannot normalize to tell; Unicode whitespace ("\u00a0", "\u2028") and
# C1 controls ("\u0085") are whitespace and controls as much as the
# ASCII ones.
secret_name(name) if {
	is_string(name)
	name != ""
	not regex.match(`[^\x21-\x7e]|[%\\#;*?\[\]{}]`, name)
	every seg in split(name, "/") {
		not seg in {"", ".", ".."}
	}
}

# is_true: x is the boolean true. Rules test flags with it, never as a bare
# expression: in Rego `x.protected` alone succeeds for any value but false
# and undefined, so "false", 0 or {} would read as true.
is_true(x) if x == true

# absent_or_false: the field at path of x is missing, null or false — the
# only values a "must not be set" flag may have. Anything else (true, a
# string, a number, an object) counts as set.
absent_or_false(x, path) if object.get(x, path, false) in {false, null}

# array_or_absent: the field at path of x is missing or an array.
array_or_absent(x, path) if is_array(object.get(x, path, []))

# normalize_repo compares source repositories the way the verify package
# does (internal/slsasource NormalizeRepo; the policy package tests that
# the two agree): drop a leading "git+", then a URI scheme with its "://"
# at the very start (RFC 3986: a letter, then letters, digits, "+", "-" or
# "."), then one trailing "/", then one trailing ".git". So
# "git+https://github.com/acme/app", "https://github.com/acme/app.git" and
# "github.com/acme/app" are the same repository; host, owner and name are
# compared exactly (case-sensitive). A "://" after any other text
# ("acme/x://github.com/victim/app", where a builder wrote "acme/" before
# text it copied) is part of the repository. Where that leaves text it
# would change again (a second scheme or "git+", "app.git.git",
# "app/.git", "app//"), s is kept as it is, matching only itself: the form
# is a fixed point, normalize_repo(normalize_repo(s)) == normalize_repo(s).
normalize_repo(s) := n if {
	is_string(s)
	n := normalize_repo_once(s)
	normalize_repo_once(n) == n
} else := s if is_string(s)

normalize_repo_once(s) := trim_suffix(trim_suffix(regex.replace(trim_prefix(s, "git+"), `^[A-Za-z][A-Za-z0-9+.-]*://`, ""), "/"), ".git")

# same_repo: a and b name the same repository after normalize_repo, and
# it is not empty (an empty expectation matches nothing).
same_repo(a, b) if {
	n := normalize_repo(a)
	n != ""
	n == normalize_repo(b)
}

# printable renders x for a message: a string quoted and escaped as Go's
# %q does (a newline, a control or a bidirectional override in a name the
# input chose is shown as an escape, and cannot forge a line of a log, or
# reorder one, where the message is written), anything else as Rego
# prints it, whose strings are quoted the same way. sprintf puts a string
# given to %s or %v in as it is: a message takes a value of the input
# only through %q or printable.
printable(x) := sprintf("%q", [x]) if is_string(x)

else := sprintf("%v", [x])

# show renders a field for a message even when it is missing or x is not an
# object: a message must never make its violation undefined (and so
# silently allowed), nor abort evaluation with a type error.
show(x, path) := object.get(x, path, "<missing>") if is_object(x)

else := "<missing>"

# open_cidrs: cidrs is not a list of valid CIDRs (so the rules cannot tell
# what it opens), or its CIDRs together cover all IPv4 or all IPv6
# addresses (net.cidr_merge turns 0.0.0.0/1 + 128.0.0.0/1 into 0.0.0.0/0).
# Each address family is merged on its own: net.cidr_merge holds IPv4 as
# IPv4-mapped IPv6, so a wide IPv6 CIDR (::/1, ::/8) swallows 0.0.0.0/0
# and the merge of ["0.0.0.0/0", "::/1"] is just ["::/1"].
open_cidrs(cidrs) if not valid_cidrs(cidrs)

open_cidrs(cidrs) if {
	valid_cidrs(cidrs)
	some family in [
		[c | some c in cidrs; ipv4_space(c)],
		[c | some c in cidrs; not ipv4_space(c)],
	]
	some m in net.cidr_merge(family)
	endswith(m, "/0")
}

# ipv4_space: an IPv4 CIDR, or an IPv6 one inside the IPv4-mapped range
# ::ffff:0:0/96 (which net.cidr_merge reads as IPv4: ::ffff:0.0.0.0/96
# merges to 0.0.0.0/0).
ipv4_space(c) if not contains(c, ":")

ipv4_space(c) if {
	contains(c, ":")
	net.cidr_contains("::ffff:0.0.0.0/96", c)
}

valid_cidrs(cidrs) if {
	is_array(cidrs)
	every c in cidrs {
		is_string(c)
		net.cidr_is_valid(c)
	}
}
