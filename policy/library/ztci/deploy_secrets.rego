# Deploy rules over secrets provenance (https://ztci.dev/secrets-provenance/v1):
# which credentials reached the build of an artifact. They extend the
# deploy rule set (package ztci.deploy) and read only secrets provenance
# signed by an allowed attestation signer (trusted(a)).
#
#   Config (data.ztci.config.deploy): production_secrets (names or globs,
#   "*" crosses "/", matched without case; once one is set, a
#   credential whose secret is not a literal name counts as production),
#   production_backends (exact backend labels),
#   require_secrets_provenance (false).
#
#   deploy.production_secret_unprotected_ref: a production credential
#     reached a build whose job's ref is not protected (ref_protected must
#     be the boolean true).
#   deploy.credential_compromised: a credential the build received is
#     marked compromised (the gate sets "compromised" from its revocation
#     store on every decision; any value but false denies). The message and
#     value name the lease id.
#   deploy.secrets_provenance_unreadable: a signed secrets provenance the
#     gate could not read (no summary), or one that is malformed.
#   deploy.secrets_provenance_missing: require_secrets_provenance is set
#     and the artifact has no signed secrets provenance.
#   deploy.source_not_allowed: a readable secrets provenance whose job's
#     repository, or the repository its signing certificate names, is not
#     an allowed source (by owner and name, as cert_source_allowed reads a
#     certificate's): it tells of another repository's build.
package ztci.deploy

import data.ztci.lib

secrets_provenance_type := "https://ztci.dev/secrets-provenance/v1"

production_secrets := lib.config("deploy", "production_secrets", [])

production_backends := lib.config("deploy", "production_backends", [])

# secrets_provenances(a) are artifact a's trusted secrets provenance
# attestations: of the secrets provenance type, of another version of it
# ("https://ztci.dev/secrets-provenance/v2"), or carrying a secrets
# provenance summary whatever their type, as is_provenance and is_scan
# read theirs. A summary of which credentials reached the build is judged
# (and one that does not read denies), not passed over because its
# predicate type is spelled otherwise.
secrets_provenances(a) := [att |
	some att in trusted(a)
	is_secrets_provenance(att)
]

is_secrets_provenance(att) if att.predicate_type == secrets_provenance_type

is_secrets_provenance(att) if {
	is_string(att.predicate_type)
	startswith(att.predicate_type, "https://ztci.dev/secrets-provenance/")
}

is_secrets_provenance(att) if object.get(att, "secrets_provenance", null) != null

# readable: a summary whose credentials are a list of objects with a
# string lease_id, secret and backend (a secret or backend of another type
# would match no production glob or label, and so pass as harmless).
# Anything else is reported as unreadable, and no credential rule reads it.
secrets_readable(att) if {
	is_object(att.secrets_provenance)
	is_object(att.secrets_provenance.job)
	creds := att.secrets_provenance.credentials
	is_array(creds)
	every c in creds {
		is_object(c)
		is_string(c.lease_id)
		is_string(c.secret)
		is_string(c.backend)
	}
}

# credentials(a) are the credentials of a's readable trusted secrets
# provenances, each with its job and the attestation that lists it.
credentials(a) := [{"cred": c, "job": att.secrets_provenance.job, "att": att} |
	some att in secrets_provenances(a)
	secrets_readable(att)
	some c in att.secrets_provenance.credentials
]

# production_secrets lists what to deny, so it matches broadly: without
# case (a backend that folds it, as GitHub's secrets do, reads "PROD/db"
# as "prod/db"), and with "*" crossing "/" (null delimiters): "prod/*"
# covers "prod/db/password", as a Vault policy path "prod/*" and an AWS
# IAM resource "secret:prod/*" cover every secret nested under prod/. A
# grant (secrets.rego) still reads "*" within one segment, where the
# narrow reading is the safe one.
production_credential(c) if {
	is_string(c.secret)
	some p in production_secrets
	is_string(p)
	glob.match(lower(p), null, lower(c.secret))
}

# A name that is not a literal secret name (lib.secret_name: "prod//db",
# "prod/./db", "/prod/db", "prod/%64b") may be what a backend reads as a
# production secret, which no glob would match as written: once any
# production secret is configured, it counts as one.
production_credential(c) if {
	count(production_secrets) > 0
	not lib.secret_name(c.secret)
}

production_credential(c) if {
	is_string(c.backend)
	c.backend in production_backends
}

protected_build(job) if lib.is_true(job.ref_protected)

# unprotected_build: the build that received credential x did not run on
# a protected ref as the library reads one (lib.protected_job): its job's
# ref_protected is not the boolean true, or the signed evidence of the
# build names an untrusted trigger (untrusted_trigger_evidence). GitHub
# gives a pull_request_target job the base branch's ref, ref_protected
# true and the repository's secrets for a pull request from anyone, and a
# workflow_run job the same after such a run: the secrets provenance
# (whose schema records no trigger) then says "protected" of a build that
# ran what nobody reviewed. The untrusted_build_trigger rules say so only
# while require_protected_ref is on; a production credential in such a
# build is denied either way.
unprotected_build(_, x) if not protected_build(x.job)

unprotected_build(_, x) if lib.untrusted_trigger(x.job)

unprotected_build(_, x) if lib.untrusted_signer(x.att)

unprotected_build(a, _) if untrusted_trigger_evidence(a)

violations contains v if {
	some a in objs
	some x in credentials(a)
	production_credential(x.cred)
	unprotected_build(a, x)
	v := {
		"rule": "deploy.production_secret_unprotected_ref",
		"message": sprintf("artifact %s was built on %q, which does not count as protected (ref_protected is not true, or the build's signed evidence names an untrusted trigger), by a job that received production credential %q (lease %q, backend %q)", [artifact_label(a), lib.show(x.job, "ref"), lib.show(x.cred, "secret"), x.cred.lease_id, lib.show(x.cred, "backend")]),
		"value": x.cred.lease_id,
	}
}

violations contains v if {
	some a in objs
	some x in credentials(a)
	object.get(x.cred, "compromised", false) != false
	v := {
		"rule": "deploy.credential_compromised",
		"message": sprintf("artifact %s was built by a job that received credential lease %q (secret %q), which is marked compromised", [artifact_label(a), x.cred.lease_id, lib.show(x.cred, "secret")]),
		"value": x.cred.lease_id,
	}
}

violations contains v if {
	some a in objs
	some att in secrets_provenances(a)
	not secrets_readable(att)
	v := {
		"rule": "deploy.secrets_provenance_unreadable",
		"message": sprintf("artifact %s has a secrets provenance that does not read: which credentials reached its build is unknown", [artifact_label(a)]),
		"value": object.get(a, "digest", null),
	}
}

# A secrets provenance tells which credentials reached one build. One
# from a job of another repository (its job's repository, or the
# repository its signing certificate names) tells of another build:
# whoever can write to the registry could remove the build's own and
# attach a clean one from elsewhere, which satisfied
# require_secrets_provenance and hid a production credential in an
# unprotected build. Its repository must be an allowed source, as a SLSA
# provenance's must; a job that names none is not one.
violations contains v if {
	some a in objs
	some att in secrets_provenances(a)
	secrets_readable(att)
	repo := object.get(att.secrets_provenance.job, "repository", "")
	not cert_source_allowed(repo)
	v := foreign_secrets_provenance(a, repo)
}

violations contains v if {
	some a in objs
	some att in secrets_provenances(a)
	secrets_readable(att)
	repo := signer_claim(att, "repository")
	repo != ""
	not cert_source_allowed(repo)
	v := foreign_secrets_provenance(a, repo)
}

foreign_secrets_provenance(a, repo) := {
	"rule": "deploy.source_not_allowed",
	"message": sprintf("artifact %s has a secrets provenance of a job of %s, which is not an allowed source: it tells of another build", [artifact_label(a), lib.printable(repo)]),
	"value": repo,
}

violations contains v if {
	lib.config("deploy", "require_secrets_provenance", false) != false
	some a in objs
	count(secrets_provenances(a)) == 0
	v := {
		"rule": "deploy.secrets_provenance_missing",
		"message": sprintf("artifact %s has no secrets provenance signed by an allowed identity", [artifact_label(a)]),
		"value": object.get(a, "digest", null),
	}
}
