package x509ca

import (
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/ztci/ztci/internal/redact"
)

// ErrKeyMismatch: a persisted certificate does not certify the persisted
// key (the files were mixed from two authorities, or one was replaced).
var ErrKeyMismatch = errors.New("certificate does not match the key")

// ErrKeyMissing: the key file does not exist but the chain or the retired
// chains do. Load refuses such a directory rather than report a new
// authority, whose first Save would overwrite the chains that existing
// signatures verify against.
var ErrKeyMissing = errors.New("key file missing beside an existing chain")

// State is what an embedded authority persists: its signing key, the chain
// that certifies it (leaf first; a root CA's chain is its root alone) and
// the chains it signed with before a rotation, whose keys are gone.
type State struct {
	Key     crypto.Signer
	Chain   []*x509.Certificate
	Retired []Retired
}

// Retired is a chain an authority signed with from Start to End.
type Retired struct {
	Chain      []*x509.Certificate
	Start, End time.Time
}

// Store persists one authority's [State] in Dir: the key (PKCS#8 PEM,
// 0600; refused if it is a symbolic link, not owned by this process's user,
// or has any group or other permission, see [ReadKey]), the chain (PEM) and
// the retired chains (JSON), under the three file names given. It is the one
// place where attest/ca and attest/tsa keep their keys.
//
// Whoever can write Dir, or a directory above it, can swap the key or the
// chain, or plant retired chains that the authority then publishes as its
// own. So Load and Save first check the path the way OpenSSH checks
// ~/.ssh, and refuse it ([ErrUnsafeDir]) unless on Unix every directory
// from / down to Dir, and every symbolic link on the way, is owned by root
// or by this process's effective user; Dir is writable by nobody else; and
// a directory above it is writable by others only if it is sticky (like
// /tmp). Missing directories are created 0700 by Save. The chain and
// retired files must be regular files (not symbolic links) owned by this
// process's user that group and others cannot write ([ErrUnsafeKeyFile]).
type Store struct {
	Dir                             string
	KeyFile, ChainFile, RetiredFile string
}

// retiredJSON is one retired chain on disk. attest/ca wrote its retired
// roots under "cert" before the CA and the TSA shared this store; both are
// read, "chain" is written.
type retiredJSON struct {
	Chain string    `json:"chain,omitempty"`
	Cert  string    `json:"cert,omitempty"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Load reads the state. found is false, with no error, only when none of
// the three files exists (a new authority). A chain or retired chains
// without the key ([ErrKeyMissing]), a key without its chain, a chain that
// does not certify the key ([ErrKeyMismatch]), an unsafe key file
// ([ErrUnsafeKeyFile]) or a malformed file is an error, never a reason to
// start afresh and overwrite what is there. To start a new authority
// deliberately, move the whole directory away (keep its chain files: they
// verify what the old authority signed) and start with an empty one.
func (s Store) Load() (st State, found bool, err error) {
	dir, err := SecureDir(s.Dir, false)
	if errors.Is(err, fs.ErrNotExist) {
		return State{}, false, nil
	}
	if err != nil {
		return State{}, false, err
	}
	s.Dir = dir
	key, err := ReadKey(s.path(s.KeyFile))
	if errors.Is(err, fs.ErrNotExist) {
		for _, name := range []string{s.ChainFile, s.RetiredFile} {
			if _, lerr := os.Lstat(s.path(name)); !errors.Is(lerr, fs.ErrNotExist) {
				return State{}, false, fmt.Errorf("%w: %s exists but %s does not (move the directory away to start a new authority)", ErrKeyMissing, name, s.KeyFile)
			}
		}
		return State{}, false, nil
	}
	if err != nil {
		return State{}, false, err
	}
	b, err := readChecked(s.path(s.ChainFile), publicFileForbidden, maxCertFile)
	if err != nil {
		return State{}, false, err
	}
	chain, err := ParseCerts(b)
	if err != nil {
		return State{}, false, fmt.Errorf("%s: %w", s.ChainFile, err)
	}
	if !publicKeysEqual(chain[0].PublicKey, key.Public()) {
		return State{}, false, fmt.Errorf("%w: %s does not certify %s", ErrKeyMismatch, s.ChainFile, s.KeyFile)
	}
	retired, err := s.readRetired()
	if err != nil {
		return State{}, false, err
	}
	return State{Key: key, Chain: chain, Retired: retired}, true, nil
}

func (s Store) readRetired() ([]Retired, error) {
	b, err := readChecked(s.path(s.RetiredFile), publicFileForbidden, maxCertFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var rs []retiredJSON
	if err := json.Unmarshal(b, &rs); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadPEM, s.RetiredFile, err)
	}
	out := make([]Retired, 0, len(rs))
	for _, r := range rs {
		if (r.Chain == "") == (r.Cert == "") {
			return nil, fmt.Errorf("%w: %s: an entry needs exactly one of chain and cert", ErrBadPEM, s.RetiredFile)
		}
		chain, err := ParseCerts([]byte(r.Chain + r.Cert))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.RetiredFile, err)
		}
		out = append(out, Retired{Chain: chain, Start: r.Start, End: r.End})
	}
	return out, nil
}

// Save checks Dir as described at [Store], creating it 0700 if missing,
// then writes the state, each file atomically (see [WriteFile]), the key
// last: a crash before it leaves either no key beside a chain (a first
// Save; Load refuses it with [ErrKeyMissing], nothing was issued, remove
// the directory) or the previous key beside a chain that does not certify
// it, which Load refuses ([ErrKeyMismatch]) rather than silently replacing.
func (s Store) Save(st State) error {
	if st.Key == nil || len(st.Chain) == 0 {
		return errors.New("x509ca: save: no key or no chain")
	}
	if !publicKeysEqual(st.Chain[0].PublicKey, st.Key.Public()) {
		return fmt.Errorf("x509ca: save: %w", ErrKeyMismatch)
	}
	dir, err := SecureDir(s.Dir, true)
	if err != nil {
		return err
	}
	s.Dir = dir
	rs := make([]retiredJSON, 0, len(st.Retired))
	for _, r := range st.Retired {
		rs = append(rs, retiredJSON{Chain: string(EncodeCerts(r.Chain...)), Start: r.Start, End: r.End})
	}
	b, err := json.MarshalIndent(rs, "", "  ")
	if err != nil {
		return err
	}
	if err := WriteFile(s.path(s.RetiredFile), b); err != nil {
		return err
	}
	if err := WriteCerts(s.path(s.ChainFile), st.Chain...); err != nil {
		return err
	}
	return WriteKey(s.path(s.KeyFile), st.Key)
}

func (s Store) path(name string) string { return filepath.Join(s.Dir, name) }

func publicKeysEqual(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	e, ok := a.(equaler)
	return ok && e.Equal(b)
}

// String redacts the key: an Ed25519 key is a byte slice that every verb
// would print, and encoding/json writes an ECDSA or RSA key's private
// exponent.
func (s State) String() string { return "x509ca.State{key:" + redact.Marker + "}" }

// GoString is String.
func (s State) GoString() string { return s.String() }

// Format writes String for every verb, so that no verb reaches the key by
// reflection.
func (s State) Format(f fmt.State, _ rune) { redact.Format(f, s.String()) }

// LogValue is String.
func (s State) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON is String as a JSON string.
func (s State) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalText is String: encoding/xml, and other encoders that fall back to
// encoding.TextMarshaler, would otherwise reflect over Key and write an
// ECDSA key's D (a *big.Int, which marshals itself).
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
