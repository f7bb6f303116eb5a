package svid_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/svid/x509svid"

	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/identity/svid"
	"github.com/ztci/ztci/secrets"
)

func ExampleIssuer() {
	td := spiffeid.RequireTrustDomainFromString("ci.example.com")
	ca, _ := svid.NewIssuer(td, svid.WithX509TTL(15*time.Minute))
	s, _ := ca.X509SVID(context.Background(), spiffeid.RequireFromPath(td, "/job/42"), time.Time{})
	id, _, err := x509svid.Verify(s.Certificates, ca)
	fmt.Println(id, err, s.Certificates[0].NotAfter.Sub(s.Certificates[0].NotBefore))
	// Output: spiffe://ci.example.com/job/42 <nil> 15m30s
}

// An issuer whose CA a SPIRE server can chain under (its "disk"
// UpstreamAuthority): path length 1, and the CA exported as PEM.
func ExampleIssuer_ExportCA() {
	td := spiffeid.RequireTrustDomainFromString("ci.example.com")
	ca, _ := svid.NewIssuer(td, svid.WithCAPathLen(1))
	certPEM, keyPEM, err := ca.ExportCA()
	fmt.Println(err, strings.HasPrefix(string(certPEM), "-----BEGIN CERTIFICATE-----"), strings.HasPrefix(string(keyPEM), "-----BEGIN PRIVATE KEY-----"))

	leafOnly, _ := svid.NewIssuer(td) // the default: path length 0
	_, _, err = leafOnly.ExportCA()
	fmt.Println(errors.Is(err, svid.ErrNotExportable))
	// Output:
	// <nil> true true
	// true
}

// Two replicas of one issuer share their JWT-SVID keys through a key store
// (in memory here; identity/oidc/natskeys across processes): a JWT-SVID
// from one verifies with the other's bundle, also after a rotation.
func ExampleWithJWTKeyStore() {
	ctx := context.Background()
	td := spiffeid.RequireTrustDomainFromString("ci.example.com")
	keys := oidc.NewMemoryKeyStore(nil)
	a, err := svid.NewIssuer(td, svid.WithJWTKeyStore(keys))
	if err != nil {
		panic(err)
	}
	b, err := svid.NewIssuer(td, svid.WithJWTKeyStore(keys))
	if err != nil {
		panic(err)
	}
	fmt.Println(a.PublishJWTKey(ctx), b.PublishJWTKey(ctx)) // at start-up, before taking traffic

	job := spiffeid.RequireFromPath(td, "/job/42")
	old, err := a.JWTSVID(ctx, job, time.Time{}, "https://vault.example.com")
	if err != nil {
		panic(err)
	}
	// A rotation that failed leaves the old key signing: report it (retry,
	// page someone), never carry on as if the key had changed.
	if err := a.RotateJWTKey(ctx, nil, ""); err != nil { // a fresh key; or the next KMS key
		panic(err)
	}
	current, err := a.JWTSVID(ctx, job, time.Time{}, "https://vault.example.com")
	if err != nil {
		panic(err)
	}

	verifyAtB, err := svid.NewJWTVerifier(b, "https://vault.example.com")
	if err != nil {
		panic(err)
	}
	for _, s := range []string{old.Marshal(), current.Marshal()} {
		who, err := verifyAtB.Verify(ctx, s)
		fmt.Println(who.SPIFFEID, err)
	}
	fmt.Println(len(b.JWTBundle().JWTAuthorities()), "keys in B's bundle")
	// Output:
	// <nil> <nil>
	// spiffe://ci.example.com/job/42 <nil>
	// spiffe://ci.example.com/job/42 <nil>
	// 3 keys in B's bundle
}

// A rotated-out key whose private half may be stolen is revoked instead of
// left to lapse: its JWT-SVIDs stop verifying at once. The signing key
// itself cannot be revoked: rotate first.
func ExampleIssuer_RevokeJWTKey() {
	ctx := context.Background()
	td := spiffeid.RequireTrustDomainFromString("ci.example.com")
	iss, err := svid.NewIssuer(td)
	if err != nil {
		panic(err)
	}
	if err := iss.RotateJWTKey(ctx, nil, "key-1"); err != nil { // or svid.WithJWTSigner(kmsKey, "key-1")
		panic(err)
	}
	job := spiffeid.RequireFromPath(td, "/job/42")
	old, err := iss.JWTSVID(ctx, job, time.Time{}, "https://vault.example.com")
	if err != nil {
		panic(err)
	}
	fmt.Println(errors.Is(iss.RevokeJWTKey(ctx, "key-1"), svid.ErrJWTKeyActive))
	if err := iss.RotateJWTKey(ctx, nil, "key-2"); err != nil {
		panic(err)
	}
	if err := iss.RevokeJWTKey(ctx, "key-1"); err != nil { // with a key store: retry on error
		panic(err)
	}
	verifier, err := svid.NewJWTVerifier(iss, "https://vault.example.com")
	if err != nil {
		panic(err)
	}
	_, err = verifier.Verify(ctx, old.Marshal())
	fmt.Println(errors.Is(err, svid.ErrInvalidSVID))
	// Output:
	// true
	// true
}

// A JWT-SVID is a bearer credential: with WithMasker the issuer registers
// each one with the job's log redactor before it hands it out (through
// identity/exchange and the Workload API too), so a job that prints it
// leaves no usable token in its log.
func ExampleWithMasker() {
	redactor := secrets.NewRedactor() // the job's log redactor
	td := spiffeid.RequireTrustDomainFromString("ci.example.com")
	iss, err := svid.NewIssuer(td, svid.WithMasker(redactor))
	if err != nil {
		panic(err)
	}
	j, err := iss.JWTSVID(context.Background(), spiffeid.RequireFromPath(td, "/job/42"), time.Time{}, "https://vault.example.com")
	if err != nil {
		panic(err)
	}
	log := redactor.NewWriter(os.Stdout)
	fmt.Fprintf(log, "curl -H 'Authorization: Bearer %s' https://vault.example.com\n", j.Marshal())
	if err := log.Close(); err != nil {
		panic(err)
	}
	// Output: curl -H 'Authorization: Bearer ***' https://vault.example.com
}

// A TLS server or client that verifies its peer with go-spiffe's
// x509svid.Verify itself (identity/mtls and identity/httpauth do all of
// this) also checks the verified chains are for the peer's role:
// clientAuth for a client, serverAuth for a server. go-spiffe accepts a
// certificate a CA of the bundle signed for any purpose, such as code
// signing; CheckPeerKeyUsage refuses it with ErrKeyUsage.
func ExampleCheckPeerKeyUsage() {
	td := spiffeid.RequireTrustDomainFromString("ci.example.com")
	job := spiffeid.RequireFromPath(td, "/job/42")
	ca, err := svid.NewIssuer(td, svid.WithCAPathLen(1))
	if err != nil {
		panic(err)
	}
	s, err := ca.X509SVID(context.Background(), job, time.Time{})
	if err != nil {
		panic(err)
	}
	// In a tls.Config's VerifyPeerCertificate, with the peer's certificates.
	_, chains, err := x509svid.Verify(s.Certificates, ca)
	if err != nil {
		panic(err)
	}
	fmt.Println("X.509-SVID as a client:", svid.CheckPeerKeyUsage(chains, x509.ExtKeyUsageClientAuth))

	codeSigning := exampleCodeSigningCert(ca, job)
	_, chains, err = x509svid.Verify([]*x509.Certificate{codeSigning}, ca)
	fmt.Println("code-signing certificate, go-spiffe:", err)
	err = svid.CheckPeerKeyUsage(chains, x509.ExtKeyUsageClientAuth)
	fmt.Println("refused:", errors.Is(err, svid.ErrKeyUsage))
	fmt.Println(err)
	// Output:
	// X.509-SVID as a client: <nil>
	// code-signing certificate, go-spiffe: <nil>
	// refused: true
	// svid: invalid SVID: key not for this use: extended key usage does not permit clientAuth
}

// exampleCodeSigningCert is a certificate for id that ca's key signs for
// code signing only, as another system sharing the CA might.
func exampleCodeSigningCert(ca *svid.Issuer, id spiffeid.ID) *x509.Certificate {
	certPEM, keyPEM, err := ca.ExportCA()
	if err != nil {
		panic(err)
	}
	certDER, _ := pem.Decode(certPEM)
	keyDER, _ := pem.Decode(keyPEM)
	caCert, err := x509.ParseCertificate(certDER.Bytes)
	if err != nil {
		panic(err)
	}
	caKey, err := x509.ParsePKCS8PrivateKey(keyDER.Bytes)
	if err != nil {
		panic(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	uri, _ := url.Parse(id.String())
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), URIs: []*url.URL{uri},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, key.Public(), caKey)
	if err != nil {
		panic(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	return c
}
