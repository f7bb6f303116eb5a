package svid_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"math/big"
	"net/url"
	"runtime"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/bundle/jwtbundle"
	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"golang.org/x/sys/unix"

	"github.com/ztci/ztci/identity/oidc"
	"github.com/ztci/ztci/identity/svid"
)

// BenchmarkX509SVID issues an X.509-SVID: fresh P-256 key, signed leaf,
// parsed back.
func BenchmarkX509SVID(b *testing.B) {
	iss, err := svid.NewIssuer(td)
	if err != nil {
		b.Fatal(err)
	}
	id := spiffeid.RequireFromPath(td, "/job/bench")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := iss.X509SVID(ctx, id, time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloorCreateCertificate is bare x509.CreateCertificate of a
// comparable leaf with a pre-generated key; BenchmarkFloorKeyAndCertificate
// adds the key generation an SVID needs.
func BenchmarkFloorCreateCertificate(b *testing.B) { benchFloor(b, false) }

func BenchmarkFloorKeyAndCertificate(b *testing.B) { benchFloor(b, true) }

func benchFloor(b *testing.B, genKey bool) {
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	caDER, _ := x509.CreateCertificate(rand.Reader, ca, ca, caKey.Public(), caKey)
	ca, _ = x509.ParseCertificate(caDER)
	u, _ := url.Parse("spiffe://ci.test/job/bench")
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	b.ReportAllocs()
	for b.Loop() {
		if genKey {
			leafKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), URIs: []*url.URL{u}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, BasicConstraintsValid: true}
		if _, err := x509.CreateCertificate(rand.Reader, tmpl, ca, leafKey.Public(), caKey); err != nil {
			b.Fatal(err)
		}
	}
}

// threadCPU returns the CPU time consumed by the calling OS thread (the
// machine is shared: wall time mostly measures the queue).
func threadCPU() time.Duration {
	var ru unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_THREAD, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkX509SVIDVsFloor interleaves one bare key generation +
// x509.CreateCertificate and one X509SVID issuance per iteration on a locked
// thread and reports both CPU times and the issuance rate relative to the
// floor.
func BenchmarkX509SVIDVsFloor(b *testing.B) {
	iss, err := svid.NewIssuer(td)
	if err != nil {
		b.Fatal(err)
	}
	id := spiffeid.RequireFromPath(td, "/job/bench")
	ctx := context.Background()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	caDER, _ := x509.CreateCertificate(rand.Reader, ca, ca, caKey.Public(), caKey)
	ca, _ = x509.ParseCertificate(caDER)
	u, _ := url.Parse("spiffe://ci.test/job/bench")
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var floor, ours time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := threadCPU()
		leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), URIs: []*url.URL{u}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, BasicConstraintsValid: true}
		if _, err := x509.CreateCertificate(rand.Reader, tmpl, ca, leafKey.Public(), caKey); err != nil {
			b.Fatal(err)
		}
		t1 := threadCPU()
		if _, err := iss.X509SVID(ctx, id, time.Time{}); err != nil {
			b.Fatal(err)
		}
		t2 := threadCPU()
		floor += t1 - t0
		ours += t2 - t1
	}
	b.ReportMetric(float64(floor.Nanoseconds())/float64(b.N), "floor-cpu-ns/op")
	b.ReportMetric(float64(ours.Nanoseconds())/float64(b.N), "ours-cpu-ns/op")
	b.ReportMetric(float64(floor)/float64(ours), "throughput-ratio")
}

// BenchmarkJWTSVIDVerify verifies one JWT-SVID per iteration against: a
// static go-spiffe bundle holding the key (the peer: what the issuer
// returned before it had a key store), the issuer without a key store, and
// a replica of a 3-issuer fleet sharing an in-memory key store, whose
// bundle is rebuilt from the store for each verification.
func BenchmarkJWTSVIDVerify(b *testing.B) {
	ctx := context.Background()
	id := spiffeid.RequireFromPath(td, "/job/bench")
	single, err := svid.NewIssuer(td)
	if err != nil {
		b.Fatal(err)
	}
	store := oidc.NewMemoryKeyStore(nil)
	var fleet []*svid.Issuer
	for range 3 {
		iss, err := svid.NewIssuer(td, svid.WithJWTKeyStore(store))
		if err != nil {
			b.Fatal(err)
		}
		if err := iss.PublishJWTKey(ctx); err != nil {
			b.Fatal(err)
		}
		fleet = append(fleet, iss)
	}
	for _, bc := range []struct {
		name    string
		signer  *svid.Issuer
		bundles jwtbundle.Source
	}{
		{name: "static-bundle", signer: single, bundles: single.JWTBundle()},
		{name: "issuer", signer: single, bundles: single},
		{name: "fleet-of-3", signer: fleet[0], bundles: fleet[1]},
	} {
		s, err := bc.signer.JWTSVID(ctx, id, time.Time{}, "aud")
		if err != nil {
			b.Fatal(err)
		}
		raw := s.Marshal()
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := svid.ParseAndValidateJWT(raw, bc.bundles, []string{"aud"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkJWTSVIDIssue issues a JWT-SVID without a key store and as a
// replica of a fleet (the key's publication is checked, and renewed only
// every half TTL).
func BenchmarkJWTSVIDIssue(b *testing.B) {
	ctx := context.Background()
	id := spiffeid.RequireFromPath(td, "/job/bench")
	single, err := svid.NewIssuer(td)
	if err != nil {
		b.Fatal(err)
	}
	replica, err := svid.NewIssuer(td, svid.WithJWTKeyStore(oidc.NewMemoryKeyStore(nil)))
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		iss  *svid.Issuer
	}{{"single", single}, {"fleet-replica", replica}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.iss.JWTSVID(ctx, id, time.Time{}, "aud"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
