package gatetest

import (
	"context"
	"fmt"
	"time"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/secretsprov"
	"github.com/ztci/ztci/attest/vuln"
	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/verify"
)

// PublishRelease is [Lab.Publish] with everything a full release attaches:
// SLSA provenance and the SBOM, then a vulnerability scan (attest/vuln, one
// low-severity finding, made now), an in-toto test result (PASSED) and a
// secrets provenance (attest/secretsprov) listing creds — five
// attestations, signed by the release workflow as a job on j.
func (l *Lab) PublishRelease(ctx context.Context, j Job, tag string, creds ...secretsprov.Credential) (*Published, error) {
	p, err := l.Publish(ctx, j, tag)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	scan := vuln.Predicate(vuln.Scan{
		Scanner: vuln.Scanner{Name: "trivy", Version: "0.58.0", URI: "pkg:github/aquasecurity/trivy"},
		Time:    now,
		Findings: []vuln.Finding{{ID: "CVE-2024-0001", Severity: vuln.SeverityLow,
			Package: vuln.Package{Name: "busybox", Version: "1.36.1", PURL: "pkg:apk/alpine/busybox@1.36.1"}}},
	})
	tests := attest.Custom(attest.PredicateTestResult, fmt.Appendf(nil,
		`{"result":"PASSED","configuration":[{"name":"go test ./...","uri":"%s"}],"passedTests":["TestBuild","TestRelease"]}`, SourceURI))
	if creds == nil {
		creds = []secretsprov.Credential{}
	}
	for _, pred := range []func(identity.Identity) (attest.Predicate, error){
		func(identity.Identity) (attest.Predicate, error) { return scan, nil },
		func(identity.Identity) (attest.Predicate, error) { return tests, nil },
		func(id identity.Identity) (attest.Predicate, error) {
			return secretsprov.New(id, secretsprov.Run{JobID: "release-" + tag}, creds)
		},
	} {
		if err := l.Attach(ctx, j, p, pred); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// ReleaseVerifiers are [Lab.Verifiers] plus verifiers of the other three
// predicate types [Lab.PublishRelease] attaches (vulnerability scan, test
// result, secrets provenance), each requiring the release workflow as
// signer. resultCache turns verify's result cache on.
func (l *Lab) ReleaseVerifiers(resultCache bool) (gate.Verifiers, error) {
	vs, err := l.Verifiers(resultCache)
	if err != nil {
		return nil, err
	}
	trJSON, err := l.TrustedRootJSON()
	if err != nil {
		return nil, err
	}
	trust, err := verify.ParseTrustedRoot(trJSON)
	if err != nil {
		return nil, err
	}
	opts := []verify.Option{verify.WithTlogThreshold(0), verify.WithSCTThreshold(0),
		verify.WithSignedTimestampThreshold(1), verify.WithLogger(l.log)}
	if resultCache {
		opts = append(opts, verify.WithResultCache(1024))
	}
	for _, pt := range []string{vuln.PredicateType, attest.PredicateTestResult, secretsprov.PredicateType} {
		v, err := verify.New(trust, verify.Expectation{Signer: verify.Identity{SAN: SignerSAN, Issuer: l.issuer.URL()}, PredicateType: pt}, opts...)
		if err != nil {
			return nil, err
		}
		vs[pt] = v
	}
	return vs, nil
}
