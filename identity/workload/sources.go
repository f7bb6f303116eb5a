package workload

import (
	"context"
	"errors"
	"fmt"

	"github.com/spiffe/go-spiffe/v2/bundle/jwtbundle"
	"github.com/spiffe/go-spiffe/v2/bundle/x509bundle"
	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/svid/jwtsvid"
	"github.com/spiffe/go-spiffe/v2/svid/x509svid"
	"github.com/spiffe/go-spiffe/v2/workloadapi"
)

// Sources are live X.509 and JWT sources from any SPIFFE Workload API
// (SPIRE, or this package's [Server]) over one go-spiffe client. They
// implement x509svid.Source, x509bundle.Source, jwtsvid.Source and
// jwtbundle.Source, and stay current as the agent rotates SVIDs. Close
// releases the watchers and the connection.
type Sources struct {
	client *workloadapi.Client
	x509   *workloadapi.X509Source
	jwt    *workloadapi.JWTSource
}

// Open connects to the Workload API at addr ("unix:///path/to/socket") and
// waits until the first X.509-SVID and JWT bundle arrived or ctx is done.
func Open(ctx context.Context, addr string) (*Sources, error) {
	client, err := workloadapi.New(ctx, workloadapi.WithAddr(addr))
	if err != nil {
		return nil, fmt.Errorf("workload: connect %s: %w", addr, err)
	}
	x, err := workloadapi.NewX509Source(ctx, workloadapi.WithClient(client))
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("workload: X.509 source: %w", err)
	}
	j, err := workloadapi.NewJWTSource(ctx, workloadapi.WithClient(client))
	if err != nil {
		x.Close()
		client.Close()
		return nil, fmt.Errorf("workload: JWT source: %w", err)
	}
	return &Sources{client: client, x509: x, jwt: j}, nil
}

// GetX509SVID implements x509svid.Source.
func (s *Sources) GetX509SVID() (*x509svid.SVID, error) { return s.x509.GetX509SVID() }

// GetX509BundleForTrustDomain implements x509bundle.Source.
func (s *Sources) GetX509BundleForTrustDomain(td spiffeid.TrustDomain) (*x509bundle.Bundle, error) {
	return s.x509.GetX509BundleForTrustDomain(td)
}

// FetchJWTSVID implements jwtsvid.Source.
func (s *Sources) FetchJWTSVID(ctx context.Context, p jwtsvid.Params) (*jwtsvid.SVID, error) {
	return s.jwt.FetchJWTSVID(ctx, p)
}

// GetJWTBundleForTrustDomain implements jwtbundle.Source.
func (s *Sources) GetJWTBundleForTrustDomain(td spiffeid.TrustDomain) (*jwtbundle.Bundle, error) {
	return s.jwt.GetJWTBundleForTrustDomain(td)
}

// Close stops both watchers and closes the connection.
func (s *Sources) Close() error {
	return errors.Join(s.x509.Close(), s.jwt.Close(), s.client.Close())
}
