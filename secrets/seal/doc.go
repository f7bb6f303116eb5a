// Package seal is envelope encryption for records the SDK keeps at rest —
// the secrets lease journal, audit fields marked sensitive.
//
// [Encrypter] is the seam consumers accept: Seal(ctx, plaintext, aad) and
// Open(ctx, sealed, aad). [*Envelope] implements it: every record gets a
// fresh random AES-256-GCM data key; the data key is wrapped by a
// key-encryption key behind the [KeyWrapper] seam, and the KEK's id is
// written in the record header. [Key] is the local KEK (AES-256 from 32
// bytes the vendor supplies, wrapping with XAES-256-GCM; data keys that
// earlier versions wrapped with AES-256-GCM still open; the zero Key is
// refused); a vendor's KMS implements [KeyWrapper] with three methods
// (KeyID, Wrap, Unwrap) and is used the same way; the subpackage sealtest
// checks such an implementation against the contract (given a second key of
// the same KMS, also that Unwrap opens only what its own key wrapped).
//
//	current, _ := seal.NewKey("2026-02", materialFromFile)
//	env, _ := seal.NewLocal(current, previous) // or seal.New(myKMSKey)
//	sealed, _ := env.Seal(ctx, record, []byte(leaseID))
//	record, err := env.Open(ctx, sealed, []byte(leaseID))
//
// Rotation: build the Envelope with the new KEK first and the old ones after
// it. New records name the new id; old records still open; once no record
// names an old id ([KeyIDOf] finds them), drop it.
//
// # Record format
//
// Version 1, binary: "ZS", version byte, key id (1-byte length), wrapped data
// key (2-byte length, at most [MaxWrappedLen]), 12-byte nonce, ciphertext
// with the 16-byte GCM tag. Every length is checked before use.
//
// # Security contract
//
//   - Confidentiality and integrity of the record rest on the KEK: nothing
//     in a record is readable or forgeable without it.
//   - The whole header (version, key id, wrapped key) is authenticated with
//     the body, and so is the caller's aad, which is not stored: a record
//     moved to another context (another lease id, another file) is refused,
//     and a header spliced from another record is refused.
//   - Open fails closed: it returns the authentic plaintext or an error
//     wrapping [ErrOpen] and no plaintext — [ErrMalformed] for a damaged or
//     foreign format, [ErrUnknownKey] for a key id this Envelope does not
//     hold, [ErrTampered] for any authentication failure (changed bytes,
//     other key material under the same id, wrong aad), [ErrUnwrap] when a
//     KMS could not answer. There is no unauthenticated fallback.
//   - A [KeyWrapper]'s error is not quoted: a KMS client's error may hold
//     a key URI with credentials, a token or key material. Seal and Open
//     report it as a [*WrapperError] naming its class, the operation and
//     the configured key id; errors.Is and errors.As still reach the
//     wrapper's error (context.DeadlineExceeded, a client's types), and
//     [WrapperError.Cause] hands it to an operator's log deliberately.
//   - Plaintext, data keys and KEK material never appear in errors, nor
//     does text read from a record, which storage others can write to
//     may hold (an unknown key id is named by its length; [KeyIDOf]
//     reads it); [Key] redacts itself in String, GoString, Format,
//     LogValue and MarshalJSON. Data keys are cleared after use (best
//     effort: Go may have copied them).
//   - Nonces are random per record under a fresh data key per record, so
//     nonce reuse under one key needs a collision of 256-bit random keys.
//     [Key] wraps each data key under its own key derived from the KEK and
//     a 192-bit random nonce (XAES-256-GCM), so a KEK may wrap any number
//     of data keys; 96-bit random nonces under the KEK itself would repeat
//     with real probability after 2^32 wraps (days for a busy audit
//     sealer), giving away its GCM authentication key.
//   - The key id is not secret and is readable without the key. A record
//     names the id [New] checked and registered; Seal fails with [ErrSeal]
//     once the current wrapper's KeyID answers otherwise, rather than
//     write a record naming another key or none.
//   - Seal refuses ([ErrSeal]) a wrapped key that contains the data key
//     in clear, as it is, in hex or in base64 (a no-op wrapper, a KMS
//     wrapper returning the plaintext field of its answer or the whole
//     answer marshalled), compared with [crypto/subtle] and no early
//     exit: such a record would carry its own key.
//   - A [KeyWrapper] gets its own copy of the wrapped key to unwrap, so one
//     that decrypts in place leaves the caller's record as it was.
//
// Envelope is safe for concurrent use, keeps no state besides its keys, and
// starts no goroutines.
package seal
