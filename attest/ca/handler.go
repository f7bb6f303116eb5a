package ca

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/internal/httpsrv"
	"github.com/ztci/ztci/internal/mediatype"
	"github.com/ztci/ztci/internal/strictjson"
	"github.com/ztci/ztci/internal/x509ca"
)

// Authenticator verifies the bearer token of a signing-certificate request
// and returns the identity to certify. An error means "not authenticated";
// it is never shown to the client. Implementations must be safe for
// concurrent use.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (identity.Identity, error)
}

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(ctx context.Context, token string) (identity.Identity, error)

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(ctx context.Context, token string) (identity.Identity, error) {
	return f(ctx, token)
}

// Token is what an authenticator established from a verified OIDC token:
// the identity to certify and what bounds its certificate.
type Token struct {
	Identity identity.Identity
	// Expiry is the token's exp: no certificate is valid after it. A
	// Token without one is refused ([ErrTokenValidity]).
	Expiry time.Time
	// IssuedAt and NotBefore are the token's iat and nbf, zero when
	// absent: no certificate is valid before either.
	IssuedAt, NotBefore time.Time
	// EmailVerified says the token's issuer verified the email address
	// that is Identity.Subject (its email claim is the subject and its
	// email_verified claim true). An email subject is certified only with
	// it, as Fulcio requires of email issuers: an address accepted by its
	// shape alone names whoever the issuer let write it.
	EmailVerified bool
}

// TokenAuthenticator is an [Authenticator] that also returns what bounds
// the certificate: the token's validity and whether its email is
// verified. [CA.Handler] calls AuthenticateToken when its Authenticator
// implements it, and issues with [CA.IssueToken]. [OIDCAuthenticator]
// makes one of an *oidc.Verifier.
type TokenAuthenticator interface {
	Authenticator
	AuthenticateToken(ctx context.Context, token string) (Token, error)
}

// TokenVerifier verifies an OIDC token and returns what it established.
// *oidc.Verifier implements it.
type TokenVerifier interface {
	VerifyToken(ctx context.Context, raw string) (*oidc.Verified, error)
}

// OIDCAuthenticator returns a [TokenAuthenticator] that verifies tokens
// with v: the Token carries the verified token's exp, iat and nbf, and
// EmailVerified is true only when its email claim is its subject and its
// email_verified claim is true (a JSON true, or the string "true", which
// some issuers send).
func OIDCAuthenticator(v TokenVerifier) TokenAuthenticator { return oidcAuth{v} }

type oidcAuth struct{ v TokenVerifier }

func (a oidcAuth) Authenticate(ctx context.Context, token string) (identity.Identity, error) {
	t, err := a.AuthenticateToken(ctx, token)
	return t.Identity, err
}

func (a oidcAuth) AuthenticateToken(ctx context.Context, token string) (Token, error) {
	v, err := a.v.VerifyToken(ctx, token)
	if err != nil {
		return Token{}, err
	}
	if v == nil {
		return Token{}, errors.New("ca: the verifier returned no result")
	}
	t := Token{Identity: v.Identity, Expiry: v.Expiry, IssuedAt: v.IssuedAt, NotBefore: v.NotBefore}
	email, _ := v.Raw["email"].(string)
	switch ev := v.Raw["email_verified"].(type) {
	case bool:
		t.EmailVerified = ev && email == v.Identity.Subject
	case string:
		t.EmailVerified = ev == "true" && email == v.Identity.Subject
	}
	return t, nil
}

// maxRequest bounds a signing-certificate request body.
const maxRequest = 64 << 10

// Bounds of [CA.Handler] and [NewServer].
const (
	// BodyTimeout bounds reading a signing-certificate request's body,
	// from when the handler starts reading it. A client that has not sent
	// the whole body by then gets 408 and its connection is closed.
	BodyTimeout = 5 * time.Second
	// RequestTimeout bounds the work on one signing-certificate request
	// once its body is read: authenticating the token (which may fetch a
	// key set) and issuing (which may call a KMS signer and the audit
	// sink). When it passes the request fails with 503.
	RequestTimeout = 30 * time.Second
)

// Handler serves Fulcio's HTTP API for this CA, so Fulcio clients
// (sigstore-go's sign.Fulcio, cosign) can use it as a private Fulcio:
//
//	POST /api/v2/signingCert   token from "Authorization: Bearer" or
//	                           credentials.oidcIdentityToken; a public key with
//	                           a proof of possession (signature over the
//	                           token's subject) or a CSR signed
//	                           over SHA-2 or with Ed25519 (SHA-1:
//	                           ErrProofOfPossession)
//	GET  /api/v2/trustBundle   the CA's root certificates
//
// Tokens are checked by auth; the proof of possession must verify over the
// authenticated identity's Subject (or SPIFFE ID). Errors are reported as
// JSON {"code", "message"} without echoing the token.
//
// When auth is a [TokenAuthenticator] (see [OIDCAuthenticator]) each
// certificate is issued with [CA.IssueToken]: never valid after the
// token's exp nor before its iat or nbf, and an email subject only when
// the token's issuer verified it. A plain Authenticator tells the CA
// neither: its certificates are bounded by [WithCertValidity] alone, and
// an email subject is refused ([ErrEmailUnverified]).
//
// A signing-certificate request declared as anything but application/json
// (charset utf-8 at most, no content coding) is refused with 415 unread; a
// request without a Content-Type is read as JSON, as Fulcio does. The body
// is read within [BodyTimeout] (408 after it) and 64 KiB (400 beyond, at
// once for a declared Content-Length over it), and the connection of a body
// not read to its end is closed, so a client that stalls mid-body holds its
// connection for BodyTimeout, not for ever; the rest of the work is bounded
// by [RequestTimeout]. Serve the handler with [NewServer], whose
// per-connection deadlines bound what a client that sends nothing can hold.
func (c *CA) Handler(auth Authenticator) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v2/signingCert", func(w http.ResponseWriter, r *http.Request) {
		body, status, err := readBody(w, r)
		if err != nil {
			c.log.Info("ca: signingCert rejected", "status", status, "error", err)
			writeJSON(w, status, map[string]any{"code": status, "message": err.Error()})
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), RequestTimeout)
		defer cancel()
		chain, err := c.signingCert(r.WithContext(ctx), body, auth)
		if err != nil {
			status := http.StatusInternalServerError
			switch {
			case errors.Is(err, ErrUnauthenticated):
				status = http.StatusUnauthorized
			case errors.Is(err, ErrInvalidRequest):
				status = http.StatusBadRequest
			case errors.Is(err, ErrUnavailable):
				status = http.StatusServiceUnavailable
			}
			c.log.Info("ca: signingCert rejected", "status", status, "error", err)
			msg := publicMessage(status, err)
			if ctx.Err() != nil && status != http.StatusUnauthorized {
				// The error may say what was being waited for; the client
				// learns only that it took too long.
				status, msg = http.StatusServiceUnavailable, "request not completed in time"
				w.Header().Set("Retry-After", "1")
			}
			writeJSON(w, status, map[string]any{"code": status, "message": msg})
			return
		}
		pems := make([]string, 0, len(chain)+1)
		for _, crt := range append(chain, c.Certificate()) {
			pems = append(pems, string(x509ca.EncodeCerts(crt)))
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"signedCertificateEmbeddedSct": map[string]any{"chain": map[string]any{"certificates": pems}},
		})
	})
	mux.HandleFunc("GET /api/v2/trustBundle", func(w http.ResponseWriter, r *http.Request) {
		var chains []any
		for _, root := range c.Roots() {
			chains = append(chains, map[string]any{"certificates": []string{string(x509ca.EncodeCerts(root.Cert))}})
		}
		writeJSON(w, http.StatusOK, map[string]any{"chains": chains})
	})
	return mux
}

// publicMessage says what to fix without leaking internals.
func publicMessage(status int, err error) string {
	switch status {
	case http.StatusUnauthorized:
		return "the identity token was missing or not accepted"
	case http.StatusInternalServerError:
		return "internal error"
	}
	return err.Error()
}

type signingCertRequest struct {
	Credentials struct {
		OIDCIdentityToken string `json:"oidcIdentityToken"`
	} `json:"credentials"`
	PublicKeyRequest struct {
		PublicKey struct {
			Algorithm string `json:"algorithm"`
			Content   string `json:"content"`
		} `json:"publicKey"`
		ProofOfPossession string `json:"proofOfPossession"`
	} `json:"publicKeyRequest"`
	CertificateSigningRequest string `json:"certificateSigningRequest"`
}

// requestSchema refuses a request that two JSON readers would read as two
// requests: repeated members, members equal under case folding, the
// request's names in another case, text that is not Unicode.
var requestSchema = strictjson.SchemaOf(reflect.TypeFor[signingCertRequest]())

// readBody reads the body of a signing-certificate request, bounded in
// size and time, or returns the status and error of its refusal (whose
// message quotes nothing of the body).
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, int, error) {
	if err := checkContentType(r.Header); err != nil {
		// The body is not read: closing saves the server draining it.
		w.Header().Set("Connection", "close")
		return nil, http.StatusUnsupportedMediaType, err
	}
	if r.ContentLength > maxRequest {
		w.Header().Set("Connection", "close")
		return nil, http.StatusBadRequest, fmt.Errorf("%w: body larger than %d bytes", ErrInvalidRequest, maxRequest)
	}
	// Not every ResponseWriter supports deadlines (an in-process transport
	// does not); NewServer's ReadTimeout still bounds a served connection.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(BodyTimeout))
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequest+1))
	if err != nil || len(body) > maxRequest {
		// Without this the server would drain the rest of the body after
		// the answer, for keep-alive: what a stalled client wants.
		w.Header().Set("Connection", "close")
	}
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, http.StatusRequestTimeout, fmt.Errorf("%w: body not received within %v", ErrInvalidRequest, BodyTimeout)
	case err != nil:
		return nil, http.StatusBadRequest, fmt.Errorf("%w: body not read", ErrInvalidRequest)
	case len(body) > maxRequest:
		return nil, http.StatusBadRequest, fmt.Errorf("%w: body larger than %d bytes", ErrInvalidRequest, maxRequest)
	}
	return body, 0, nil
}

// checkContentType refuses a request body declared as anything but JSON
// as sent: one Content-Type, application/json with at most charset=utf-8,
// no content coding but identity. No Content-Type at all is taken as JSON.
func checkContentType(h http.Header) error {
	switch cts := h.Values("Content-Type"); len(cts) {
	case 0:
	case 1:
		mt, params, err := mime.ParseMediaType(cts[0])
		if err != nil || mt != "application/json" {
			return fmt.Errorf("%w: content type must be application/json", ErrInvalidRequest)
		}
		for k, v := range params {
			if k != "charset" || !strings.EqualFold(v, "utf-8") {
				return fmt.Errorf("%w: content type must be application/json", ErrInvalidRequest)
			}
		}
		if !mediatype.PlainJSON(cts[0]) {
			return fmt.Errorf("%w: content type must be application/json", ErrInvalidRequest)
		}
	default:
		return fmt.Errorf("%w: more than one Content-Type", ErrInvalidRequest)
	}
	for _, ce := range h.Values("Content-Encoding") {
		if !strings.EqualFold(strings.Trim(ce, " \t"), "identity") {
			return fmt.Errorf("%w: content coding is not supported", ErrInvalidRequest)
		}
	}
	return nil
}

// NewServer returns an *http.Server for h (a [CA.Handler]) with the
// per-connection limits a CA exposed to a network needs: header (and TLS
// handshake) and whole-request read deadlines, a write deadline that covers
// [RequestTimeout], an idle keep-alive limit and a header size limit.
// Without them (http.ListenAndServe, a bare http.Server) a client that opens
// connections and sends nothing, or stalls mid-header, holds each for ever.
// Set TLSConfig, or call ServeTLS, as usual; HTTP/2 keeps Go's defaults.
func NewServer(addr string, h http.Handler) *http.Server {
	return httpsrv.New(addr, h, BodyTimeout, RequestTimeout)
}

func (c *CA) signingCert(r *http.Request, body []byte, auth Authenticator) ([]*x509.Certificate, error) {
	// Refused before decoding: encoding/json keeps the last of
	// "oidcIdentityToken" and "OIDCIdentityToken" (or of a repeated
	// member), where Fulcio's protojson reads names exactly. The message
	// quotes nothing of the body, which holds the token.
	if err := requestSchema.Check(body); err != nil {
		return nil, fmt.Errorf("%w: body is not a signing-certificate request (repeated or case-varied members, or not JSON)", ErrInvalidRequest)
	}
	var req signingCertRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, fmt.Errorf("%w: body is not a signing-certificate request", ErrInvalidRequest)
	}
	token := req.Credentials.OIDCIdentityToken
	if h := r.Header.Get("Authorization"); token == "" && len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		token = strings.TrimSpace(h[7:])
	}
	if token == "" {
		return nil, fmt.Errorf("%w: no token", ErrUnauthenticated)
	}
	var (
		tok Token
		err error
	)
	ta, bounded := auth.(TokenAuthenticator)
	if bounded {
		tok, err = ta.AuthenticateToken(r.Context(), token)
	} else {
		tok.Identity, err = auth.Authenticate(r.Context(), token)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnauthenticated, err)
	}
	id := tok.Identity
	var pub crypto.PublicKey
	if req.CertificateSigningRequest != "" {
		pub, err = csrKey(req.CertificateSigningRequest)
	} else {
		pub, err = popKey(req.PublicKeyRequest.PublicKey.Content, req.PublicKeyRequest.ProofOfPossession, id)
	}
	if err != nil {
		return nil, err
	}
	if bounded {
		return c.IssueToken(r.Context(), pub, tok)
	}
	// A plain Authenticator says nothing of the token's validity or of
	// its email: the certificate is bounded by the CA's lifetime only,
	// and an email subject is refused.
	return c.issue(r.Context(), pub, id, grant{})
}

// csrSignatureAlgorithms are the CSR signatures accepted as proof of
// possession: those over SHA-2, and Ed25519.
var csrSignatureAlgorithms = []x509.SignatureAlgorithm{
	x509.SHA256WithRSA, x509.SHA384WithRSA, x509.SHA512WithRSA,
	x509.SHA256WithRSAPSS, x509.SHA384WithRSAPSS, x509.SHA512WithRSAPSS,
	x509.ECDSAWithSHA256, x509.ECDSAWithSHA384, x509.ECDSAWithSHA512,
	x509.PureEd25519,
}

func csrKey(b64 string) (crypto.PublicKey, error) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("%w: CSR is not base64", ErrInvalidRequest)
	}
	if blk, _ := pem.Decode(raw); blk != nil {
		raw = blk.Bytes
	}
	csr, err := x509.ParseCertificateRequest(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: CSR: %w", ErrInvalidRequest, err)
	}
	// Before the signature: verifying it costs what the key's size makes
	// it cost, and Issue would refuse the key anyway.
	if err := checkLeafKey(csr.PublicKey); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	// CheckSignature accepts SHA-1 for a CSR (not for a certificate); a
	// proof of possession over a hash with practical collisions is none.
	if !slices.Contains(csrSignatureAlgorithms, csr.SignatureAlgorithm) {
		return nil, fmt.Errorf("%w: CSR signed with %v; want SHA-256, SHA-384 or SHA-512 (or Ed25519)", ErrProofOfPossession, csr.SignatureAlgorithm)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("%w: CSR signature: %w", ErrProofOfPossession, err)
	}
	return csr.PublicKey, nil
}

func popKey(pemKey, proofB64 string, id identity.Identity) (crypto.PublicKey, error) {
	blk, _ := pem.Decode([]byte(pemKey))
	if blk == nil {
		return nil, fmt.Errorf("%w: public key is not PEM", ErrInvalidRequest)
	}
	pub, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: public key: %w", ErrInvalidRequest, err)
	}
	if err := checkLeafKey(pub); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	proof, err := base64.StdEncoding.DecodeString(proofB64)
	if err != nil || len(proof) == 0 {
		return nil, fmt.Errorf("%w: missing or non-base64 proof", ErrProofOfPossession)
	}
	var subjects []string
	if id.Subject != "" {
		subjects = append(subjects, id.Subject)
	}
	if !id.SPIFFEID.IsZero() {
		subjects = append(subjects, id.SPIFFEID.String())
	}
	for _, s := range subjects {
		if verifyProof(pub, []byte(s), proof) {
			return pub, nil
		}
	}
	return nil, ErrProofOfPossession
}

// verifyProof checks a signature made the way sigstore-go's keypairs sign:
// ECDSA with the curve's hash, RSA PKCS#1 v1.5 with SHA-256, pure Ed25519.
func verifyProof(pub crypto.PublicKey, msg, sig []byte) bool {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		h := crypto.SHA256
		switch k.Curve {
		case elliptic.P384():
			h = crypto.SHA384
		case elliptic.P521():
			h = crypto.SHA512
		}
		d := h.New()
		d.Write(msg)
		return ecdsa.VerifyASN1(k, d.Sum(nil), sig)
	case *rsa.PublicKey:
		d := crypto.SHA256.New()
		d.Write(msg)
		return rsa.VerifyPKCS1v15(k, crypto.SHA256, d.Sum(nil), sig) == nil
	case ed25519.PublicKey:
		return ed25519.Verify(k, msg, sig)
	}
	return false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
