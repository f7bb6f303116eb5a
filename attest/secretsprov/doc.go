// Package secretsprov is secrets provenance: an in-toto predicate that
// records, for one build, every credential the job received — lease id,
// backend, secret name, the decision that released it (its audit id and
// policy revision), the job's verified identity, ref and SPIFFE ID, and
// when each lease was issued and revoked — so a deploy gate can ask "did a
// production secret reach a build of an unprotected ref?" or "did this
// build receive a credential that is now known to be compromised?".
//
// # Model
//
// [Provenance] is the predicate ([PredicateType]
// https://ztci.dev/secrets-provenance/v1): a [Job] and its [Credential]s.
// [New] builds one from the job's verified identity.Identity (identity,
// ref, ref protection, repository and run come from the identity, so a
// build step cannot claim a protected ref it was not started on), a [Run]
// (the runner's job id and the SVID's SPIFFE ID) and the credentials, which
// a runner takes from the broker's lease ledger (secrets.LeaseLedger,
// converted by [Credentials]). A
// *Provenance is an attest.Predicate: attest.NewStatement binds it to the
// build's artifacts and attest.Sign signs it like the SLSA provenance.
//
//	creds := secretsprov.Credentials(ledger.Job(jobID)) // secrets.LeaseFact: no values
//	p, err := secretsprov.New(id, secretsprov.Run{JobID: jobID, SPIFFEID: svid}, creds)
//	st, err := attest.NewStatement(subjects, p)
//	bundle, err := attest.Sign(ctx, signer, st)
//
// The schema is secrets-provenance.v1.schema.json in this directory
// ([JSONSchema]); testdata holds two example documents that validate
// against it and documents that do not, each named after what is wrong
// with it. The policy gate (package policy/gate) turns a verified secrets
// provenance into policy input, and the built-in deploy rules act on it
// (deploy.production_secret_unprotected_ref, deploy.credential_compromised).
//
// # Security contract
//
//   - No value, ever: no type of this package has a field for a secret's
//     value, hash, length, prefix or any other function of it; the
//     predicate holds names, ids, labels and times. Tests build a
//     provenance from a job holding a canary secret and look for the
//     canary (raw, hex, base64) in the output.
//   - Strict parsing: [Parse] refuses more than [MaxSize] bytes, anything
//     but one JSON object, repeated members and member names in another
//     case at any depth (internal/strictjson), unknown members, missing
//     required members, null, values of the wrong JSON type, strings over
//     [MaxFieldLen] bytes or holding control characters (C0, DEL and
//     C1), more than
//     [MaxCredentials] credentials (or more array elements and members
//     than the document's size allows, checked before decoding), repeated
//     lease ids and a revocation before its issue. Errors wrap [ErrInvalid] and a finer sentinel
//     ([ErrMissingField], [ErrUnknownField], [ErrMalformed],
//     [ErrTooLarge]); they quote at most 64 bytes of the input.
//   - Completeness is the runner's to guarantee, not this package's: the
//     broker records an issuance in its audit sink before the job gets the
//     lease and refuses the lease when it cannot (secrets.LeaseLedger is
//     such a sink), so a ledger-fed provenance lists every lease the job
//     received.
//   - Parse verifies nothing. A Provenance is evidence about a build only
//     when the Statement carrying it was signed by an identity the
//     verifier allows and its subject is the build's artifact; the gate
//     reads it only from a verified attestation.
package secretsprov
