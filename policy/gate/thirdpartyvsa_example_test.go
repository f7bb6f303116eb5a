package gate_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"time"

	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/gate"
)

// A gate pins a third-party verifier's key (Google's BCID verifier here)
// and hands policy the summaries that verify for the artifact it decides
// on; a deploy rule can then require one (see ThirdPartyVSAs.Check).
func ExampleThirdPartyVSAs() {
	pemKey, err := os.ReadFile("../../attest/vsa/testdata/slsa-verifier-gce-vsa-key.pem")
	if err != nil {
		panic(err)
	}
	blk, _ := pem.Decode(pemKey)
	if blk == nil {
		panic("no PEM block in the key file")
	}
	key, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		panic(err)
	}
	tp, err := gate.NewThirdPartyVSAs(gate.ThirdPartyVSATrust{
		VerifierID:  "https://bcid.corp.google.com/verifier/bcid_package_enforcer/v0.1",
		Key:         key,
		KeyID:       "keystore://76574:prod:vsa_signing_public_key",
		ResourceURI: func(name, _ string) string { return "gce_image://gke-node-images:" + name },
		MaxAge:      24 * time.Hour,
	})
	if err != nil {
		panic(err)
	}
	envelope, err := os.ReadFile("../../attest/vsa/testdata/slsa-verifier-gce-vsa.intoto.jsonl")
	if err != nil {
		panic(err)
	}
	art := policy.Artifact{Name: "gke-12615-gke1418000-cos-101-17162-463-29-c-cgpv1-pre", Digest: "gce_image_id:8970095005306000053"}
	verifiedAt := time.Date(2024, 6, 12, 7, 24, 34, 0, time.UTC)

	atts, report, err := tp.Check(context.Background(), verifiedAt.Add(time.Hour), art, [][]byte{envelope})
	if err != nil {
		panic(err) // could not check: hand policy nothing
	}
	fmt.Println(len(atts), atts[0].Predicate["verifiedLevels"], report[0].Verified)

	// A day and more later it is stale: reported, and absent from policy.
	atts, report, err = tp.Check(context.Background(), verifiedAt.Add(48*time.Hour), art, [][]byte{envelope})
	fmt.Println(len(atts), report[0].Verified, report[0].Err != nil, err)
	// Output:
	// 1 [BCID_L1 SLSA_BUILD_LEVEL_2] true
	// 0 false true <nil>
}
