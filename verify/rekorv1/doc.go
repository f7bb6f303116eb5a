// Package rekorv1 is the explicit, opt-in online step of detached-signature
// verification: it looks up, in a Rekor v1 transparency log (the public-good
// https://rekor.sigstore.dev or a private one), the entry that logs a
// detached signature, and hands it to verify/blob, which verifies it
// offline. Nothing in verify or verify/blob touches the network; a caller
// who wants a lookup builds a Client and calls it.
//
// # Use
//
//	c, _ := rekorv1.New("https://rekor.sigstore.dev")
//	d := &blob.Detached{Signature: sig, Certificate: cert} // from the .sig and .cert files
//	art := blob.Bytes(kubectl)
//	e, err := c.FindEntry(ctx, d, art)
//	if err != nil { deny() } // not logged, log unavailable, or a bad answer
//	d.Entry = e
//	res, err := verifier.Verify(ctx, d, art) // blob.Verifier: offline
//
// FindEntry asks the search index (POST /api/v1/index/retrieve) for the
// entries of each digest the artifact carries, fetches them
// (GET /api/v1/log/entries/{uuid}) and returns the first whose body logs
// this signature and certificate (or key) for one of those digests, with
// its signed entry timestamp and inclusion proof. The caller names no
// digest: cosign ≥ v2.6 logs a signature under the digest its key signs
// (SHA-256 for P-256 and RSA keys, SHA-384 for P-384, SHA-512 for P-521 and
// Ed25519ph), so FindEntry searches the signing key's digest first when the
// certificate's key (or a 64-byte, Ed25519, signature) tells it, then
// SHA-256, SHA-512 and SHA-384, and stops at the first entry found: usually
// one search and one fetch; at most one search per digest (3) and
// WithMaxCandidates fetches in all. Rekor v1's index refuses SHA-384
// hashes, so the SHA-384 search is by the certificate (the entries logged
// with it); a P-384 signature made with a bare key cannot be looked up —
// carry its entry (cosign --bundle). rekor-server writes an entry's
// index keys after it has answered the upload, so an entry uploaded a
// moment ago may not be found yet (ErrNotFound): a caller that has just
// signed retries, it does not treat the miss as proof of anything.
//
// # Security contract
//
//   - Nothing the log returns is trusted: the entry is evidence that
//     blob.Verifier.Verify checks offline (the SET and the inclusion proof
//     against the trusted root's log keys, the body against the signature,
//     certificate and hash). A lying or compromised log can make the lookup
//     fail (deny), never make a signature verify.
//   - The answer must be the entry asked for: its UUID must be the RFC 6962
//     leaf hash of the body returned, UUIDs from the search must be hex
//     (nothing else reaches a URL path), and a proof's hashes are bounded.
//     The log index, integrated time and the proof's index and tree size
//     must be in range, and the proof's checkpoint must be of the proof's
//     tree size and root hash: the verifier checks the checkpoint's
//     signature and root hash but not its size, so without this the size
//     (and the leaf position) a proof is computed for would be the log's
//     word alone.
//   - Bounded: every answer is read up to MaxResponseSize (larger is
//     ErrResponse), each request has a timeout (WithTimeout, 30 s), at most
//     WithMaxCandidates entries are fetched in all (default
//     DefaultMaxCandidates), and at most 3 searches sent; an entry past the
//     bound is not found, never trusted.
//   - Redirects are followed only within the log's origin (scheme and
//     host), at most 3; plain http is accepted only for loopback logs.
//   - Fail closed: every error matches ErrLookup, which is a verify.ErrTlog
//     (so a caller that treats verify errors as deny needs nothing new):
//     ErrNotFound, ErrUnavailable, ErrResponse, ErrConfig.
//   - Errors repeat the log's text (a UUID, an answer's member name, a
//     redirect's URL) only quoted and clipped, and a status by its code
//     alone, never its reason phrase: the log's answers are untrusted and
//     errors reach logs.
//   - Privacy: the lookup tells the log which artifact is being verified,
//     and when. Carry the entry with the signature (cosign's --bundle) to
//     verify without asking anyone.
package rekorv1
