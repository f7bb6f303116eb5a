package ztci.deploy_secrets_test

import data.ztci.deploy_test
import data.ztci.main

sp_config := json.patch(deploy_test.config, [
	{"op": "add", "path": "/deploy/production_secrets", "value": ["prod/*"]},
	{"op": "add", "path": "/deploy/production_backends", "value": ["vault-prod"]},
])

credential(lease, secret, backend) := {
	"lease_id": lease, "backend": backend, "secret": secret,
	"decision_id": "evt-1", "policy_revision": "rev-1",
	"issued_at": "2026-12-05T08:00:00Z", "revoked_at": "2026-12-05T08:05:00Z", "compromised": false,
}

secrets_att(protected, creds) := {
	"predicate_type": "https://ztci.dev/secrets-provenance/v1",
	"signer": deploy_test.provenance.signer,
	"secrets_provenance": {
		"job": {"id": "build-1", "identity": "https://ci.example#s", "spiffe_id": "", "repository": "acme/app", "ref": "refs/heads/feature", "ref_protected": protected, "run_id": "1"},
		"credentials": creds,
	},
}

with_att(att) := json.patch(deploy_test.good, [{"op": "add", "path": "/artifacts/0/attestations/-", "value": att}])

rules(doc, cfg) := {v.rule | some v in main.violations with input as doc with data.ztci.config as cfg}

msgs(doc, cfg) := [v | some v in main.violations with input as doc with data.ztci.config as cfg]

test_production_secret_on_protected_build_allowed if {
	rules(with_att(secrets_att(true, [credential("l1", "prod/deploy", "vault")])), sp_config) == set()
}

test_production_secret_on_unprotected_build_denied if {
	doc := with_att(secrets_att(false, [credential("l1", "prod/deploy", "vault")]))
	rules(doc, sp_config) == {"deploy.production_secret_unprotected_ref"}
	some v in msgs(doc, sp_config)
	v.value == "l1"
	contains(v.message, `"prod/deploy"`)
}

test_production_backend_on_unprotected_build_denied if {
	rules(with_att(secrets_att(false, [credential("l2", "deploy-token", "vault-prod")])), sp_config) == {"deploy.production_secret_unprotected_ref"}
}

test_non_production_secret_on_unprotected_build_allowed if {
	rules(with_att(secrets_att(false, [credential("l1", "staging/deploy", "vault"), credential("l2", "prod", "vault")])), sp_config) == set()
}

# production_secrets lists what to deny: "*" crosses "/", so prod/*
# covers prod/a/b (as a Vault policy path or an IAM resource "prod/*"
# does); it still names nothing outside prod/.
test_glob_crosses_slash if {
	rules(with_att(secrets_att(false, [credential("l1", "prod/a/b", "vault")])), sp_config) == {"deploy.production_secret_unprotected_ref"}
	rules(with_att(secrets_att(false, [credential("l1", "staging/prod/b", "vault")])), sp_config) == set()
}

# A flag that is not the boolean true is not protected.
test_ref_protected_must_be_true if {
	rules(with_att(secrets_att("true", [credential("l1", "prod/deploy", "vault")])), sp_config) == {"deploy.production_secret_unprotected_ref"}
}

test_no_production_config_no_rule if {
	rules(with_att(secrets_att(false, [credential("l1", "prod/deploy", "vault")])), deploy_test.config) == set()
}

test_compromised_credential_denied_naming_lease if {
	c := json.patch(credential("ztci_5b1f", "db/ro", "postgres"), [{"op": "replace", "path": "/compromised", "value": true}])
	doc := with_att(secrets_att(true, [credential("l0", "a", "static"), c]))
	rules(doc, sp_config) == {"deploy.credential_compromised"}
	some v in msgs(doc, sp_config)
	v.value == "ztci_5b1f"
	contains(v.message, `lease "ztci_5b1f"`)
}

# Anything but false counts as compromised: fail closed.
test_compromised_not_boolean_denied if {
	c := json.patch(credential("l1", "db/ro", "postgres"), [{"op": "replace", "path": "/compromised", "value": null}])
	rules(with_att(secrets_att(true, [c])), sp_config) == {"deploy.credential_compromised"}
}

# Secrets provenance from a signer that is not allowed is ignored, as any
# untrusted attestation.
test_untrusted_secrets_provenance_ignored if {
	att := json.patch(secrets_att(false, [credential("l1", "prod/deploy", "vault")]), [{"op": "replace", "path": "/signer/san", "value": "https://evil.example/wf"}])
	rules(with_att(att), sp_config) == set()
}

test_unreadable_secrets_provenance_denied if {
	att := json.remove(secrets_att(true, []), ["secrets_provenance"])
	rules(with_att(att), sp_config) == {"deploy.secrets_provenance_unreadable"}
	bad := json.patch(secrets_att(true, []), [{"op": "replace", "path": "/secrets_provenance/credentials", "value": [{"secret": "x"}]}])
	rules(with_att(bad), sp_config) == {"deploy.secrets_provenance_unreadable"}
}

test_required_secrets_provenance_missing_denied if {
	cfg := json.patch(sp_config, [{"op": "add", "path": "/deploy/require_secrets_provenance", "value": true}])
	rules(deploy_test.good, cfg) == {"deploy.secrets_provenance_missing"}
	rules(with_att(secrets_att(true, [])), cfg) == set()
}

# A credential whose secret or backend is not a string would match no
# production glob or label: the provenance is unreadable, not harmless.
test_wrong_typed_credential_unreadable if {
	every patch in [{"secret": 1}, {"secret": null}, {"secret": ["prod/deploy"]}, {"backend": {"name": "vault-prod"}}] {
		c := object.union(credential("l1", "prod/deploy", "vault"), patch)
		rules(with_att(secrets_att(false, [c])), sp_config) == {"deploy.secrets_provenance_unreadable"}
	}
}

# A production secret spelled another way still names it to a backend
# that folds case or path segments ("PROD/deploy", "prod//deploy",
# "prod/./deploy", "/prod/deploy", "prod/deploy/"): production_secrets
# lists what to deny, so it matches without case, and a name that is not
# a literal secret name counts as production once any is configured.
test_production_secret_variants_count_as_production if {
	every name in ["PROD/deploy", "Prod/Deploy", "prod//deploy", "prod/./deploy", "/prod/deploy", "prod/deploy/", "prod/x/../deploy", "prod/deploy ", "prod/%64eploy", `prod\deploy`, "prod/*"] {
		rules(with_att(secrets_att(false, [credential("l1", name, "vault")])), sp_config) == {"deploy.production_secret_unprotected_ref"}
	}
	rules(with_att(secrets_att(false, [credential("l1", "staging/./deploy", "vault")])), deploy_test.config) == set()
	rules(with_att(secrets_att(false, [credential("l1", "staging/deploy", "vault")])), sp_config) == set()
}

# A pull_request_target or workflow_run build has ref_protected true; the
# signed evidence of the build names its trigger. A production credential
# in it is denied, with require_protected_ref off too (which silences
# deploy.untrusted_build_trigger).
test_production_secret_in_untrusted_trigger_build_denied if {
	unsafe := json.patch(sp_config, [{"op": "add", "path": "/deploy/require_protected_ref", "value": false}])
	prt := json.patch(secrets_att(true, [credential("l1", "prod/deploy", "vault")]), [{"op": "add", "path": "/signer/claims/event", "value": "pull_request_target"}])
	rules(with_att(prt), unsafe) == {"deploy.production_secret_unprotected_ref"}
	recorded := json.patch(with_att(secrets_att(true, [credential("l1", "prod/deploy", "vault")])), [{"op": "add", "path": "/artifacts/0/attestations/0/provenance/external_parameters", "value": {"trigger": "workflow_run"}}])
	rules(recorded, unsafe) == {"deploy.production_secret_unprotected_ref"}
	staging := json.patch(secrets_att(true, [credential("l1", "staging/deploy", "vault")]), [{"op": "add", "path": "/signer/claims/event", "value": "pull_request_target"}])
	rules(with_att(staging), unsafe) == set()
}

# A name a normalizing backend reads as a production secret ("ｐrod/deploy"
# is "prod/deploy" after NFKC) is not a literal name, so it counts as a
# production credential once any production secret is configured.
test_non_ascii_name_counts_as_production if {
	every name in ["\uff50rod/deploy", "prod\uff0fdeploy", "staging/\u2025/prod/deploy"] {
		rules(with_att(secrets_att(false, [credential("l1", name, "vault")])), sp_config) == {"deploy.production_secret_unprotected_ref"}
	}
}
