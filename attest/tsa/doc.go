// Package tsa is an embedded RFC 3161 timestamp authority, built on
// github.com/digitorus/timestamp, served as an http.Handler with the Sigstore
// timestamp-authority API (POST /api/v1/timestamp, GET
// /api/v1/timestamp/certchain) so sigstore-go's and cosign's clients work
// against it unchanged.
//
// A signed timestamp over a signature proves the signature existed while the
// signer's short-lived certificate was valid; with it a Sigstore bundle stays
// verifiable after the certificate expires.
//
//	a, _ := tsa.New(tsa.WithDir("/var/lib/ztci/tsa"))
//	signer, _ := attest.NewCASigner(issuer, attest.WithEmbeddedTimestampAuthority(a.Handler()))
//	srv := tsa.NewServer(":8443", a.Handler()) // optional: serve it on a network
//	go srv.ListenAndServeTLS(certFile, keyFile)
//
// Security contract: only SHA-256/384/512 imprints of the right length are
// stamped, from queries that are the DER encoding of what they say (hash
// algorithm parameters absent or NULL, no default spelt out; otherwise
// badDataFormat); no token is issued when any certificate of the signing
// chain is outside its validity at genTime ([ErrUnavailable]); queries are
// bounded (16 KiB), refused unread when declared as
// anything but application/timestamp-query (415) or larger, and read within
// [BodyTimeout] (408 after it; [NewServer] adds the per-connection limits);
// a TSA never prints its key; a query asking for another TSA
// policy than [PolicyOID] is rejected with RFC 3161's unacceptedPolicy and a
// query with any extension with unacceptedExtension, and a query of another
// version than v1 with badRequest ([RejectionError], whose
// DER TimeStampResp the handler returns), never answered with a token the
// client did not ask for; with [WithAudit] every issued timestamp is
// audited (serial, imprint; never the token or a key) and none is returned
// when the sink fails; the signing certificate has a
// critical timeStamping-only extended key usage (RFC 3161 §2.3); persisted
// keys are PKCS#8 PEM, mode 0600; Rotate keeps retired chains (not their
// keys) for verification.
//
// A fleet of TSA replicas shares one key through [WithSigner] (a
// crypto.Signer, typically a KMS key) and one chain made once with
// [NewCertificateChain] or the vendor's PKI; New refuses a chain that is not
// a critical timeStamping-only chain for that key, in order, or a signer
// that cannot sign for it. Old chains stay trusted with
// [WithRetiredAuthorities].
package tsa
