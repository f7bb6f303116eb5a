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
	"net/http"
	"reflect"
	"strings"

	"github.com/ztci/ztci/identity"
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

// maxRequest bounds a signing-certificate request body.
const maxRequest = 64 << 10

// Handler serves Fulcio's HTTP API for this CA, so Fulcio clients
// (sigstore-go's sign.Fulcio, cosign) can use it as a private Fulcio:
//
//	POST /api/v2/signingCert   token from "Authorization: Bearer" or
//	                           credentials.oidcIdentityToken; a public key with
//	                           a proof of possession (signature over the
//	                           token's subject) or a CSR
//	GET  /api/v2/trustBundle   the CA's root certificates
//
// Tokens are checked by auth; the proof of possession must verify over the
// authenticated identity's Subject (or SPIFFE ID). Errors are reported as
// JSON {"code", "message"} without echoing the token.
func (c *CA) Handler(auth Authenticator) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v2/signingCert", func(w http.ResponseWriter, r *http.Request) {
		chain, err := c.signingCert(r, auth)
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
			writeJSON(w, status, map[string]any{"code": status, "message": publicMessage(status, err)})
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

func (c *CA) signingCert(r *http.Request, auth Authenticator) ([]*x509.Certificate, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequest+1))
	if err != nil {
		return nil, fmt.Errorf("%w: read body: %w", ErrInvalidRequest, err)
	}
	if len(body) > maxRequest {
		return nil, fmt.Errorf("%w: body larger than %d bytes", ErrInvalidRequest, maxRequest)
	}
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
	id, err := auth.Authenticate(r.Context(), token)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnauthenticated, err)
	}
	var pub crypto.PublicKey
	if req.CertificateSigningRequest != "" {
		pub, err = csrKey(req.CertificateSigningRequest)
	} else {
		pub, err = popKey(req.PublicKeyRequest.PublicKey.Content, req.PublicKeyRequest.ProofOfPossession, id)
	}
	if err != nil {
		return nil, err
	}
	return c.Issue(r.Context(), pub, id)
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
	if err := x509ca.CheckKey(pub); err != nil {
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
