// Command gen makes the cosign-v3.1.3 test vectors of verify/image: it
// starts go-containerregistry's in-process registry on 127.0.0.1, pushes a
// small fixed image, has the real cosign binary sign and attest it in the
// legacy format (--new-bundle-format=false, no Rekor, an RFC 3161 timestamp
// from the timestamp-authority server given), and writes the registry's
// content as an OCI image layout, with the trusted root that trusts that TSA.
// Run by .ci/make-cosign-legacy-vectors.sh; not by CI.
package main

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/ztci/ztci/attest"
)

const predicateType = "https://ztci.dev/attestation/test/v1"

func main() {
	cosign := flag.String("cosign", "", "cosign binary")
	tsaURL := flag.String("tsa", "", "timestamp-authority base URL (http://127.0.0.1:PORT); empty: no timestamp")
	key := flag.String("key", "", "cosign.key (password empty)")
	rekorURL := flag.String("rekor", "", "Rekor v1 base URL; empty: --tlog-upload=false")
	out := flag.String("out", "", "output directory")
	flag.Parse()
	if *cosign == "" || *key == "" || *out == "" {
		log.Fatal("usage: gen -cosign BIN -key cosign.key -out DIR [-tsa URL] [-rekor URL]")
	}
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")

	tag, err := name.NewTag(host+"/app:v1", name.Insecure)
	check(err)
	img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1),
		static.NewLayer([]byte("ztci cosign legacy test vector\n"), types.OCILayer))
	check(err)
	check(remote.Write(tag, img))
	d, err := img.Digest()
	check(err)
	ref := tag.Context().Digest(d.String()).String()

	pred := filepath.Join(os.TempDir(), "ztci-predicate.json")
	check(os.WriteFile(pred, []byte(`{"passed":true}`), 0o600))
	common := []string{"--key", *key, "--new-bundle-format=false", "--use-signing-config=false", "--allow-http-registry", "--yes"}
	if *tsaURL != "" {
		common = append(common, "--timestamp-server-url", *tsaURL+"/api/v1/timestamp")
	}
	if *rekorURL == "" {
		common = append(common, "--tlog-upload=false")
	} else {
		common = append(common, "--rekor-url", *rekorURL)
	}
	run(*cosign, append(append([]string{"sign"}, common...), ref)...)
	run(*cosign, append(append([]string{"attest", "--type", predicateType, "--predicate", pred}, common...), ref)...)

	// The trusted root: the TSA's chain and the log's key (the signing key
	// is checked by the test).
	root := attest.NewTrustedRoot()
	if *tsaURL != "" {
		resp, err := http.Get(*tsaURL + "/api/v1/timestamp/certchain")
		check(err)
		chainPEM, err := io.ReadAll(resp.Body)
		check(err)
		resp.Body.Close()
		var chain []*x509.Certificate
		for rest := chainPEM; ; {
			var b *pem.Block
			if b, rest = pem.Decode(rest); b == nil {
				break
			}
			c, err := x509.ParseCertificate(b.Bytes)
			check(err)
			chain = append(chain, c)
		}
		root.AddTimestampAuthority(*tsaURL, chain, chain[0].NotBefore.Add(-time.Minute), time.Time{})
	}
	if *rekorURL != "" {
		resp, err := http.Get(*rekorURL + "/api/v1/log/publicKey")
		check(err)
		keyPEM, err := io.ReadAll(resp.Body)
		check(err)
		resp.Body.Close()
		b, _ := pem.Decode(keyPEM)
		if b == nil {
			log.Fatal("rekor public key is not PEM")
		}
		pub, err := x509.ParsePKIXPublicKey(b.Bytes)
		check(err)
		root.AddTransparencyLog(*rekorURL, 1, pub, time.Now().Add(-time.Hour))
	}
	tr, err := json.MarshalIndent(root, "", "  ")
	check(err)
	check(os.MkdirAll(*out, 0o755))
	check(os.WriteFile(filepath.Join(*out, "trusted_root.json"), append(tr, '\n'), 0o644))

	// The registry's content, byte for byte, as an OCI layout.
	check(os.RemoveAll(filepath.Join(*out, "oci")))
	p, err := layout.Write(filepath.Join(*out, "oci"), empty.Index)
	check(err)
	tagOf := "sha256-" + d.Hex
	for _, t := range []string{"v1", tagOf + ".sig", tagOf + ".att"} {
		ri, err := remote.Image(tag.Context().Tag(t))
		check(err)
		check(p.AppendImage(ri, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": t})))
	}
	check(os.WriteFile(filepath.Join(*out, "image-digest"), []byte(d.String()+"\n"), 0o644))
	fmt.Println("image", ref)
}

func run(bin string, args ...string) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "COSIGN_PASSWORD=")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	log.Printf("cosign %s", strings.Join(args, " "))
	check(cmd.Run())
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
