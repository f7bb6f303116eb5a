// Package x509ca holds the stdlib-only pieces shared by ztci's embedded
// certificate and timestamp authorities: key strength checks, key and
// certificate generation, and PEM persistence with owner-only permissions.
package x509ca

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// MinRSABits is the smallest RSA modulus accepted.
const MinRSABits = 2048

// Errors.
var (
	// ErrWeakKey: the key is of a supported kind but too weak (RSA < 2048,
	// ECDSA on a curve below P-256).
	ErrWeakKey = errors.New("key too weak")
	// ErrUnsupportedKey: the key type is not one of ECDSA, Ed25519, RSA.
	ErrUnsupportedKey = errors.New("unsupported key type")
	// ErrBadPEM: a persisted file is not the PEM it should be.
	ErrBadPEM = errors.New("malformed PEM file")
	// ErrUnsafeKeyFile: a private key file (or another state file opened
	// the same way, [OpenStateFile]) is a symbolic link, not a regular
	// file, not owned by this process's user, or has a group or other
	// permission it must not have. The name is the CA's and TSA's
	// (ca.ErrUnsafeKeyFile), which match directory errors too.
	ErrUnsafeKeyFile = errors.New("unsafe file")
	// ErrUnsafeDir: the directory of a [Store], or a directory or symbolic
	// link on the path to it, could be changed by a user other than root
	// and this process's (see [Store]). It matches [ErrUnsafeKeyFile], as
	// callers that guard a file guard its directory too, but its text says
	// only "unsafe directory".
	ErrUnsafeDir error = unsafeDirError{}
)

// unsafeDirError is ErrUnsafeDir: an error of its own text that
// errors.Is also takes for ErrUnsafeKeyFile.
type unsafeDirError struct{}

func (unsafeDirError) Error() string        { return "unsafe directory" }
func (unsafeDirError) Is(target error) bool { return target == ErrUnsafeKeyFile }

// Size limits of the files read back: a private key (an RSA-16384 PKCS#8
// PEM is about 13 KiB) and a chain or the retired chains.
const (
	maxKeyFile  = 64 << 10
	maxCertFile = 16 << 20
)

// CheckKey accepts ECDSA P-256/P-384/P-521, Ed25519 and RSA with at least
// MinRSABits bits.
func CheckKey(pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
			return nil
		}
		return fmt.Errorf("%w: ECDSA curve %s", ErrWeakKey, k.Curve.Params().Name)
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return fmt.Errorf("%w: Ed25519 key of %d bytes", ErrUnsupportedKey, len(k))
		}
		return nil
	case *rsa.PublicKey:
		if k.N.BitLen() < MinRSABits {
			return fmt.Errorf("%w: RSA-%d, need at least %d bits", ErrWeakKey, k.N.BitLen(), MinRSABits)
		}
		return nil
	default:
		return fmt.Errorf("%w: %T", ErrUnsupportedKey, pub)
	}
}

// NewKey returns a fresh ECDSA P-256 key.
func NewKey() (crypto.Signer, error) {
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

// Serial returns a random 159-bit certificate serial number.
func Serial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 159))
}

// KeyID returns the SHA-256 of the key's PKIX DER encoding, truncated to 20
// bytes, for SubjectKeyId.
func KeyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(der)
	return sum[:20], nil
}

// NewRoot makes a self-signed CA certificate for key, valid from notBefore
// for validity. pathLen is the maximum path length below it (0: it signs
// leaves only).
func NewRoot(key crypto.Signer, name pkix.Name, notBefore time.Time, validity time.Duration, pathLen int) (*x509.Certificate, error) {
	if err := CheckKey(key.Public()); err != nil {
		return nil, err
	}
	serial, err := Serial()
	if err != nil {
		return nil, err
	}
	skid, err := KeyID(key.Public())
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               name,
		NotBefore:             notBefore.UTC().Truncate(time.Second),
		NotAfter:              notBefore.Add(validity).UTC().Truncate(time.Second),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            pathLen,
		MaxPathLenZero:        pathLen == 0,
		SubjectKeyId:          skid,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

// WriteKey writes key as a PKCS#8 PEM file readable by the owner only. The
// directory is created 0700 if missing. The file is written to a temporary
// name and renamed, so a crash never leaves a truncated key.
func WriteKey(path string, key crypto.Signer) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	return WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// ReadKey reads a PKCS#8 PEM private key written by WriteKey. It opens the
// file once, without following a symbolic link, and refuses
// ([ErrUnsafeKeyFile]) anything but a regular file owned by this process's
// user with no group or other permission; the checks are
// made on the open descriptor, so the file checked is the file read. A key
// file larger than 64 KiB is refused ([ErrBadPEM]).
func ReadKey(path string) (crypto.Signer, error) {
	b, err := readChecked(path, keyFileForbidden, maxKeyFile)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%w: %s: want a PRIVATE KEY block", ErrBadPEM, path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadPEM, path, err)
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: %s: %T is not a signer", ErrUnsupportedKey, path, k)
	}
	if err := CheckKey(s.Public()); err != nil {
		return nil, err
	}
	return s, nil
}

// WriteCerts writes certs as concatenated CERTIFICATE PEM blocks (0600).
func WriteCerts(path string, certs ...*x509.Certificate) error {
	return WriteFile(path, EncodeCerts(certs...))
}

// ReadCerts reads concatenated CERTIFICATE PEM blocks, at most 16 MiB.
func ReadCerts(path string) ([]*x509.Certificate, error) {
	b, err := readFile(path, maxCertFile)
	if err != nil {
		return nil, err
	}
	return ParseCerts(b)
}

// Permission bits refused on a private key file (any for group and others)
// and on a store's public files (write for group and others).
const (
	keyFileForbidden    fs.FileMode = 0o077
	publicFileForbidden fs.FileMode = 0o022
)

// checkFileInfo accepts a regular file without any of the forbidden
// permission bits.
func checkFileInfo(path string, fi fs.FileInfo, forbidden fs.FileMode) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%w: %s is not a regular file (%v)", ErrUnsafeKeyFile, path, fi.Mode().Type())
	}
	if perm := fi.Mode().Perm(); perm&forbidden != 0 {
		return fmt.Errorf("%w: %s has permissions %v, want none of %v", ErrUnsafeKeyFile, path, perm, forbidden)
	}
	return nil
}

// OpenStateFile opens path for reading as [Store] opens its chain and
// retired files, for other state a process keeps on disk (a rollback
// floor, say): without following a symbolic link in its last element and
// without blocking on a FIFO, then, on the open descriptor (so the file
// checked is the file read), refused ([ErrUnsafeKeyFile]) unless it is a
// regular file owned by this process's effective user that group and
// others cannot write. A missing file is fs.ErrNotExist. It does not check
// the directories above path: resolve them with [SecureDir] first and
// open the file in the directory it returns. The caller closes the file
// and bounds what it reads.
func OpenStateFile(path string) (*os.File, error) {
	return openCheckedFile(path, os.O_RDONLY, publicFileForbidden)
}

// OpenStateFileAppend is [OpenStateFile] for a record the caller also
// appends to (O_RDWR|O_APPEND): the same file, checked the same way on
// the descriptor it writes through.
func OpenStateFileAppend(path string) (*os.File, error) {
	return openCheckedFile(path, os.O_RDWR|os.O_APPEND, publicFileForbidden)
}

// readChecked reads at most limit bytes of path, opened with
// [openCheckedFile].
func readChecked(path string, forbidden fs.FileMode, limit int64) ([]byte, error) {
	f, err := openCheckedFile(path, os.O_RDONLY, forbidden)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := readBounded(f, limit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// readFile reads at most limit bytes of path; a longer file is refused.
func readFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := readBounded(f, limit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

func readBounded(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrBadPEM, limit)
	}
	return b, nil
}

// ParseCerts parses concatenated CERTIFICATE PEM blocks. A block of another
// type, one that does not parse (pem.Decode would skip it silently) or an
// unterminated one is an error; text between blocks, as openssl writes it,
// is not.
func ParseCerts(b []byte) ([]*x509.Certificate, error) {
	begun := bytes.Count(b, pemBegin)
	var certs []*x509.Certificate
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("%w: unexpected %q block", ErrBadPEM, blk.Type)
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadPEM, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%w: no certificate", ErrBadPEM)
	}
	if begun != len(certs) {
		return nil, fmt.Errorf("%w: %d PEM blocks begin, %d parse", ErrBadPEM, begun, len(certs))
	}
	return certs, nil
}

var pemBegin = []byte("-----BEGIN")

// EncodeCerts returns certs as concatenated CERTIFICATE PEM blocks.
func EncodeCerts(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

// WriteFile writes data to path with mode 0600 atomically (a new temporary
// file in the same directory, fsync, rename, fsync of the directory),
// creating the directory 0700 if missing. A symbolic link at path is
// replaced, never written through.
func WriteFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// ReadFileIfExists returns the file's content, or nil and no error when it
// does not exist. A file larger than 16 MiB is refused ([ErrBadPEM]).
func ReadFileIfExists(path string) ([]byte, error) {
	b, err := readFile(path, maxCertFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}
