package github_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ztci/ztci/verify"
	"github.com/ztci/ztci/verify/github"
)

func TestParseBundles(t *testing.T) {
	t.Parallel()
	one := read(t, "sigstore-js-2.1.0-bundle.json") // indented, one document
	var compact bytes.Buffer
	if err := json.Compact(&compact, one); err != nil {
		t.Fatal(err)
	}
	api := `{"attestations":[{"bundle":` + compact.String() + `,"repository_id":495574555},{"bundle":` + compact.String() + `}]}`
	tests := []struct {
		name string
		in   string
		n    int
		err  bool
	}{
		{name: "single indented bundle", in: string(one), n: 1},
		{name: "gh download JSON Lines", in: string(read(t, "sigstore-js-2.1.0_with_2_bundles.jsonl")), n: 2},
		{name: "JSON Lines with CRLF and blank lines", in: compact.String() + "\r\n\r\n" + compact.String() + "\r\n", n: 2},
		{name: "attestations API response", in: api, n: 2},
		{name: "empty", in: " \n ", err: true},
		{name: "empty attestations list", in: `{"attestations":[]}`, err: true},
		{name: "null attestations list", in: `{"attestations":null}`, err: true},
		{name: "not an object", in: `[` + compact.String() + `]`, err: true},
		{name: "line not JSON", in: compact.String() + "\n{oops\n", err: true},
		{name: "two documents on a line", in: compact.String() + " " + compact.String() + "\n" + compact.String(), err: true},
		{name: "bundle_url only", in: `{"attestations":[{"bundle":null,"bundle_url":"https://example.invalid/b"}]}`, err: true},
		{name: "repeated attestations member", in: `{"attestations":[],"attestations":[{"bundle":` + compact.String() + `}]}`, err: true},
		{name: "attestations in another case", in: `{"Attestations":[{"bundle":` + compact.String() + `}]}`, err: true},
		{name: "bundle and attestations", in: `{"mediaType":"x","attestations":[]}`, err: true},
		{name: "too many", in: `{"attestations":[` + strings.Repeat(`{"bundle":{}},`, github.MaxAttestations) + `{"bundle":{}}]}`, err: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := github.ParseBundles(strings.NewReader(tc.in))
			if tc.err {
				if !errors.Is(err, verify.ErrMalformedBundle) {
					t.Fatalf("want ErrMalformedBundle, got %v (%d bundles)", err, len(got))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.n {
				t.Fatalf("%d bundles, want %d", len(got), tc.n)
			}
		})
	}
}

// TestParseBundlesTooLarge: input beyond MaxInputBytes is refused without
// reading it all.
func TestParseBundlesTooLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("reads MaxInputBytes")
	}
	t.Parallel()
	r := &countingReader{left: github.MaxInputBytes + 1<<20}
	if _, err := github.ParseBundles(r); !errors.Is(err, verify.ErrMalformedBundle) {
		t.Fatalf("want ErrMalformedBundle, got %v", err)
	}
	if r.read > github.MaxInputBytes+1 {
		t.Fatalf("read %d bytes", r.read)
	}
}

type countingReader struct{ left, read int }

func (r *countingReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, nil
	}
	n := min(len(p), r.left) // p's bytes are left as they are: content does not matter
	r.left -= n
	r.read += n
	return n, nil
}

// TestVerifyAll: gh's semantics for several attestations of one artifact:
// the ones that verify are returned; none verifying is an error carrying
// each bundle's reason.
func TestVerifyAll(t *testing.T) {
	t.Parallel()
	bundles, err := github.ParseBundles(bytes.NewReader(read(t, "sigstore-js-2.1.0_with_2_bundles.jsonl")))
	if err != nil {
		t.Fatal(err)
	}
	other := read(t, "custom-issuer.sigstore.json") // another artifact, another signer
	art := verify.ArtifactBytes(read(t, "sigstore-js-2.1.0.tgz"))

	v, err := github.New(github.Policy{Repo: "sigstore/sigstore-js", DenySelfHostedRunners: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err := v.VerifyAll(t.Context(), append([][]byte{other}, bundles...), art)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 {
		t.Fatalf("%d results, want 2", len(res))
	}

	strict, err := github.New(github.Policy{Repo: "sigstore/sigstore-js", SourceRef: "refs/heads/release"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = strict.VerifyAll(t.Context(), bundles, art)
	var ne *github.NoneVerifiedError
	if !errors.As(err, &ne) || len(ne.Errs) != 2 || !errors.Is(err, github.ErrNoAttestations) || !errors.Is(err, verify.ErrIdentityMismatch) {
		t.Fatalf("want a NoneVerifiedError of 2 identity mismatches, got %v", err)
	}
	if _, err := v.VerifyAll(t.Context(), nil, art); !errors.Is(err, github.ErrNoAttestations) {
		t.Fatalf("no bundles: want ErrNoAttestations, got %v", err)
	}
}

// FuzzParseBundles: whatever the input, ParseBundles returns an error or
// at most MaxAttestations JSON objects, and never panics.
func FuzzParseBundles(f *testing.F) {
	for _, name := range []string{"sigstore-js-2.1.0-bundle.json", "sigstore-js-2.1.0_with_2_bundles.jsonl", "github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl", "github_provenance_demo-0.0.12-py3-none-any-bundle-missing-cert.jsonl"} {
		f.Add(read(f, name))
	}
	f.Add([]byte(`{"attestations":[{"bundle":{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}}]}`))
	f.Add([]byte(`{"attestations":[{"bundle":null,"bundle_url":"https://x"}]}`))
	f.Add([]byte("{}\n{}\r\n\n{\"a\":1}"))
	f.Add([]byte(`{"mediaType":"a","MediaType":"b"}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := github.ParseBundles(bytes.NewReader(in))
		if err != nil {
			if !errors.Is(err, verify.ErrMalformedBundle) {
				t.Fatalf("error outside ErrMalformedBundle: %v", err)
			}
			return
		}
		if len(got) == 0 || len(got) > github.MaxAttestations {
			t.Fatalf("%d bundles", len(got))
		}
		for _, b := range got {
			if !json.Valid(b) || b[0] != '{' {
				t.Fatalf("not a JSON object: %q", b)
			}
		}
	})
}
