package audit

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"log/slog"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"

	"github.com/ztci/ztci/internal/redact"
)

// Signed-note signature types (https://c2sp.org/signed-note).
const (
	noteEd25519 = 0x01
	noteECDSA   = 0x02
)

// NewCheckpointSigner returns the checkpoint signer of the log named origin
// for s, a key the caller holds (a KMS or HSM key, or any crypto.Signer:
// only Public and Sign are called), and the Verifier for it, for
// [OpenWithSigner]. The signed-note signature type follows the key and is
// pinned by the key hash, so a verifier never accepts another algorithm
// under the same name:
//
//   - Ed25519: type 0x01, as [Open] signs;
//   - ECDSA P-256, P-384 or P-521: type 0x02 (ASN.1 signature over the
//     SHA-256 of the note text, key id from the DER public key), as
//     transparency-dev/witness signs.
//
// The signed-note specification assigns no type to RSA, which is refused
// ([ErrConfig]). Another algorithm, a post-quantum one such as ML-DSA
// among them, plugs in as any note.Signer with a note.Verifier through
// [OpenWithSigner] and [NewNoteVerifier].
func NewCheckpointSigner(origin string, s crypto.Signer) (note.Signer, *Verifier, error) {
	if s == nil {
		return nil, nil, fmt.Errorf("%w: nil checkpoint signer", ErrConfig)
	}
	switch pub := s.Public().(type) {
	case ed25519.PublicKey:
		v, err := NewVerifier(origin, pub)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
		return &cryptoSigner{name: origin, hash: keyHash(origin, noteEd25519, pub), s: s}, v, nil
	case *ecdsa.PublicKey:
		switch pub.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
		default:
			return nil, nil, fmt.Errorf("%w: ECDSA curve %s: signed notes take P-256, P-384 or P-521", ErrConfig, pub.Curve.Params().Name)
		}
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
		sum := sha256.Sum256(der)
		hash := binary.BigEndian.Uint32(sum[:4])
		nv := &ecdsaNoteVerifier{name: origin, hash: hash, pub: pub}
		v, err := NewNoteVerifier(nv)
		if err != nil {
			return nil, nil, err
		}
		v.vkey = origin + "+" + fmt.Sprintf("%08x", hash) + "+" + base64.StdEncoding.EncodeToString(append([]byte{noteECDSA}, der...))
		return &cryptoSigner{name: origin, hash: hash, s: s, ecdsa: true}, v, nil
	default:
		return nil, nil, fmt.Errorf("%w: checkpoint key %T: signed notes take Ed25519 or ECDSA (or a note.Signer of your own)", ErrConfig, pub)
	}
}

// keyHash is the signed-note key id: SHA-256(name || '\n' || type || key)[:4].
func keyHash(name string, typ byte, key []byte) uint32 {
	h := sha256.New()
	h.Write([]byte(name + "\n"))
	h.Write([]byte{typ})
	h.Write(key)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// NewNoteVerifier returns a Verifier for the log whose checkpoints nv
// verifies; the log's origin is nv.Name(). It is the verifying half of a
// checkpoint signer of your own (see [OpenWithSigner]); [Verifier.VerifierKey]
// is empty for it, as the signed-note key encoding is defined for Ed25519
// and ECDSA only.
func NewNoteVerifier(nv note.Verifier) (*Verifier, error) {
	if nv == nil {
		return nil, fmt.Errorf("%w: nil note verifier", ErrConfig)
	}
	if !validOrigin(nv.Name()) {
		return nil, fmt.Errorf("%w: note verifier name %q is not a valid key name", ErrConfig, nv.Name())
	}
	return &Verifier{origin: nv.Name(), nv: nv}, nil
}

// validOrigin is note's rule for key names: non-empty, valid UTF-8 without
// spaces, '+' or control characters.
func validOrigin(name string) bool {
	if name == "" || !utf8.ValidString(name) {
		return false
	}
	for _, r := range name {
		if r <= ' ' || r == '+' || r == 0x7f {
			return false
		}
	}
	return true
}

// cryptoSigner signs checkpoints with a crypto.Signer as a signed note.
type cryptoSigner struct {
	name  string
	hash  uint32
	s     crypto.Signer
	ecdsa bool
}

func (c *cryptoSigner) Name() string    { return c.name }
func (c *cryptoSigner) KeyHash() uint32 { return c.hash }
func (c *cryptoSigner) Sign(msg []byte) ([]byte, error) {
	if c.ecdsa {
		digest := sha256.Sum256(msg)
		return c.s.Sign(rand.Reader, digest[:], crypto.SHA256)
	}
	return c.s.Sign(rand.Reader, msg, crypto.Hash(0))
}

// String, GoString, Format and LogValue keep the signer out of logs.
func (c *cryptoSigner) String() string {
	return "audit.signer{" + c.name + ", key:" + redact.Marker + "}"
}
func (c *cryptoSigner) GoString() string           { return c.String() }
func (c *cryptoSigner) Format(f fmt.State, _ rune) { redact.Format(f, c.String()) }
func (c *cryptoSigner) LogValue() slog.Value       { return slog.StringValue(c.String()) }

// ecdsaNoteVerifier verifies type 0x02 signatures.
type ecdsaNoteVerifier struct {
	name string
	hash uint32
	pub  *ecdsa.PublicKey
}

func (v *ecdsaNoteVerifier) Name() string    { return v.name }
func (v *ecdsaNoteVerifier) KeyHash() uint32 { return v.hash }
func (v *ecdsaNoteVerifier) Verify(msg, sig []byte) bool {
	digest := sha256.Sum256(msg)
	return ecdsa.VerifyASN1(v.pub, digest[:], sig)
}
