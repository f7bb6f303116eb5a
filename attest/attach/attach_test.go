package attach_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ztci/ztci/attest"
	"github.com/ztci/ztci/attest/attach"
	"github.com/ztci/ztci/internal/oci/ocitest"
)

// TestAttachManifestShape checks the artifact against the cosign v3 bundle
// layout (specs/BUNDLE_SPEC.md in sigstore/cosign).
func TestAttachManifestShape(t *testing.T) {
	t.Parallel()
	alice := ocitest.NewSigner("alice")
	reg := ocitest.Start(t, ocitest.GGCRReferrers, nil)
	img := ocitest.PushImage(t, reg.Ref(t, "app:v1"), 1)
	bundle := alice.Bundle(t, img.DigestStr())
	att, err := attach.Bundle(t.Context(), img, bundle, opts(nil, attach.WithClock(ocitest.FixedClock(0)))...)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(att.Artifact)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		SchemaVersion int               `json:"schemaVersion"`
		MediaType     string            `json:"mediaType"`
		ArtifactType  string            `json:"artifactType"`
		Annotations   map[string]string `json:"annotations"`
		Config        struct {
			MediaType string `json:"mediaType"`
			Digest    string `json:"digest"`
			Size      int    `json:"size"`
		} `json:"config"`
		Layers []struct {
			MediaType   string            `json:"mediaType"`
			Digest      string            `json:"digest"`
			Size        int               `json:"size"`
			Annotations map[string]string `json:"annotations"`
		} `json:"layers"`
		Subject struct {
			MediaType string `json:"mediaType"`
			Digest    string `json:"digest"`
			Size      int64  `json:"size"`
		} `json:"subject"`
	}
	if err := json.Unmarshal(desc.Manifest, &m); err != nil {
		t.Fatal(err)
	}
	want := map[string][2]string{
		"schemaVersion":  {fmt.Sprint(m.SchemaVersion), "2"},
		"mediaType":      {m.MediaType, "application/vnd.oci.image.manifest.v1+json"},
		"artifactType":   {m.ArtifactType, "application/vnd.dev.sigstore.bundle.v0.3+json"},
		"config.type":    {m.Config.MediaType, "application/vnd.oci.empty.v1+json"},
		"config.digest":  {m.Config.Digest, "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},
		"config.size":    {fmt.Sprint(m.Config.Size), "2"},
		"layers":         {fmt.Sprint(len(m.Layers)), "1"},
		"layer.type":     {m.Layers[0].MediaType, "application/vnd.dev.sigstore.bundle.v0.3+json"},
		"layer.digest":   {m.Layers[0].Digest, att.Bundle.String()},
		"layer.size":     {fmt.Sprint(m.Layers[0].Size), fmt.Sprint(len(bundle))},
		"layer.title":    {m.Layers[0].Annotations["org.opencontainers.image.title"], "sha256-" + att.Bundle.Hex + ".sigstore.json"},
		"content":        {m.Annotations["dev.sigstore.bundle.content"], "dsse-envelope"},
		"predicateType":  {m.Annotations["dev.sigstore.bundle.predicateType"], ocitest.ProvenanceType},
		"created":        {m.Annotations["org.opencontainers.image.created"], "2023-11-14T22:13:20Z"},
		"subject.type":   {m.Subject.MediaType, "application/vnd.docker.distribution.manifest.v2+json"}, // random.Image
		"subject.digest": {m.Subject.Digest, img.DigestStr()},
	}
	for k, v := range want {
		if v[0] != v[1] {
			t.Errorf("%s = %q, want %q", k, v[0], v[1])
		}
	}
	// The bundle blob is the bundle, byte for byte.
	l, err := remote.Layer(att.Artifact.Context().Digest(att.Bundle.String()))
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := l.Compressed()
	defer rc.Close()
	var got json.RawMessage
	if err := json.NewDecoder(rc).Decode(&got); err != nil || string(got) != string(bundle) {
		t.Errorf("bundle blob differs: %v", err)
	}
}

func TestAttachRejectsNonBundles(t *testing.T) {
	t.Parallel()
	reg := ocitest.Start(t, ocitest.GGCRReferrers, nil)
	img := ocitest.PushImage(t, reg.Ref(t, "app:v1"), 1)
	tests := []struct {
		name   string
		bundle string
	}{
		{name: "not JSON", bundle: "nope"},
		{name: "no media type", bundle: `{"dsseEnvelope":{}}`},
		{name: "other media type", bundle: `{"mediaType":"application/json","dsseEnvelope":{}}`},
		{name: "no content", bundle: `{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`},
		{name: "both contents", bundle: `{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","dsseEnvelope":{},"messageSignature":{}}`},
		{name: "trailing data", bundle: `{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","messageSignature":{}} {}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := ocitest.NewCounter()
			_, err := attach.Bundle(t.Context(), img, []byte(tt.bundle), opts(c)...)
			if !errors.Is(err, attach.ErrConfig) {
				t.Fatalf("err = %v, want ErrConfig", err)
			}
			if n := c.N.Load(); n != 0 {
				t.Errorf("%d requests before rejecting the bundle", n)
			}
		})
	}
}

// TestConcurrentTagSchemaWriters attaches from several writers at once to a
// registry without the referrers API: every artifact must end up listed.
func TestConcurrentTagSchemaWriters(t *testing.T) {
	t.Parallel()
	const writers = 6
	for _, kind := range []ocitest.Kind{ocitest.GGCRNoReferrers, ocitest.DockerRegistry} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			reg := ocitest.Start(t, kind, nil)
			img := ocitest.PushImage(t, reg.Ref(t, "app:v1"), 1)
			// Force the race: no writer PUTs the tag before every writer has
			// read it, so all first writes but one are lost updates.
			tagPath := "/v2/app/manifests/sha256-" + ocitest.HexOf(img)
			var read sync.WaitGroup
			read.Add(writers)
			var redone atomic.Int64
			var wg sync.WaitGroup
			atts := make([]*attach.Attachment, writers)
			errs := make([]error, writers)
			for i := range writers {
				wg.Go(func() {
					s := ocitest.NewSigner(fmt.Sprintf("writer-%d", i))
					rt := &raceWriter{base: http.DefaultTransport, path: tagPath, read: &read}
					log := slog.New(countHandler{msg: "merging again", n: &redone})
					// Each writer is its own client, as separate CI jobs would be.
					atts[i], errs[i] = attach.Bundle(t.Context(), img, s.Bundle(t, img.DigestStr()),
						opts(nil, attach.WithTransport(rt), attach.WithLogger(log))...)
					rt.done()
				})
			}
			wg.Wait()
			if redone.Load() == 0 {
				t.Errorf("no writer detected a lost update; the race was not exercised")
			}
			t.Logf("%d lost updates detected and redone", redone.Load())
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			idx, err := remote.Index(img.Context().Tag("sha256-" + ocitest.HexOf(img)))
			if err != nil {
				t.Fatal(err)
			}
			im, err := idx.IndexManifest()
			if err != nil {
				t.Fatal(err)
			}
			listed := map[string]bool{}
			for _, d := range im.Manifests {
				listed[d.Digest.String()] = true
				if d.ArtifactType != attest.BundleMediaType || d.Annotations[attach.AnnotationContent] != "dsse-envelope" {
					t.Errorf("entry %s lacks artifactType or annotations: %+v", d.Digest, d)
				}
			}
			for i, a := range atts {
				if a.Path != attach.PathReferrersTag || !listed[a.Artifact.DigestStr()] {
					t.Errorf("writer %d: artifact %s (path %s) not listed; index has %d entries", i, a.Artifact.DigestStr(), a.Path, len(im.Manifests))
				}
			}
			if len(im.Manifests) != writers {
				t.Errorf("index has %d entries, want %d", len(im.Manifests), writers)
			}
		})
	}
}

// TestAttachRefusesForeignReferrersTag: a tag-schema tag that holds
// something other than an OCI index is not overwritten.
func TestAttachRefusesForeignReferrersTag(t *testing.T) {
	t.Parallel()
	reg := ocitest.Start(t, ocitest.GGCRNoReferrers, nil)
	img := ocitest.PushImage(t, reg.Ref(t, "app:v1"), 1)
	squatter := ocitest.PushImage(t, img.Context().Tag("sha256-"+ocitest.HexOf(img)), 9)
	_, err := attach.Bundle(t.Context(), img, ocitest.NewSigner("alice").Bundle(t, img.DigestStr()), opts(nil)...)
	if !errors.Is(err, attach.ErrMalformed) {
		t.Fatalf("err = %v, want ErrMalformed", err)
	}
	got, err := remote.Head(img.Context().Tag("sha256-" + ocitest.HexOf(img)))
	if err != nil || got.Digest.String() != squatter.DigestStr() {
		t.Fatalf("referrers tag was overwritten: %v %v", got, err)
	}
}

// raceWriter holds a writer's first PUT of the referrers tag until every
// writer has read it once (or finished: a writer that failed before reading,
// e.g. on a blob upload, must not hang the others).
type raceWriter struct {
	base    http.RoundTripper
	path    string
	read    *sync.WaitGroup
	didRead sync.Once
}

func (r *raceWriter) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Path == r.path && req.Method == http.MethodPut {
		r.didRead.Do(r.read.Done) // a writer that never read does not block the others
		r.read.Wait()
	}
	resp, err := r.base.RoundTrip(req)
	if req.URL.Path == r.path && req.Method == http.MethodGet {
		r.didRead.Do(r.read.Done)
	}
	return resp, err
}

// done marks the writer as finished.
func (r *raceWriter) done() { r.didRead.Do(r.read.Done) }

// countHandler counts log records whose message contains msg.
type countHandler struct {
	msg string
	n   *atomic.Int64
}

func (h countHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h countHandler) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, h.msg) {
		h.n.Add(1)
	}
	return nil
}
func (h countHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h countHandler) WithGroup(string) slog.Handler      { return h }

// conditional adds RFC 9110 conditional PUTs on tags to the in-process
// registry (ETag = quoted digest; If-Match, If-None-Match: *), as some
// registries implement them. Neither ggcr's registry nor distribution 2.8.2
// does, hence this wrapper.
func conditional(rejected *atomic.Int64) func(http.Handler) http.Handler {
	var mu sync.Mutex
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.Contains(r.URL.Path, "/manifests/sha256-") {
				h.ServeHTTP(w, r)
				return
			}
			mu.Lock() // check-and-set must be atomic
			defer mu.Unlock()
			cur := httptest.NewRecorder()
			h.ServeHTTP(cur, httptest.NewRequest(http.MethodGet, r.URL.Path, nil))
			etag := ""
			if cur.Code == http.StatusOK {
				etag = `"` + cur.Header().Get("Docker-Content-Digest") + `"`
			}
			if r.Method == http.MethodPut {
				im, inm := r.Header.Get("If-Match"), r.Header.Get("If-None-Match")
				if (im != "" && im != etag) || (inm == "*" && etag != "") {
					rejected.Add(1)
					w.WriteHeader(http.StatusPreconditionFailed)
					return
				}
			}
			if r.Method == http.MethodGet && etag != "" {
				w.Header().Set("ETag", etag)
			}
			h.ServeHTTP(w, r)
		})
	}
}

func TestConditionalTagSchemaWrites(t *testing.T) {
	t.Parallel()
	const writers = 6
	var rejected atomic.Int64
	reg := ocitest.Start(t, ocitest.GGCRNoReferrers, conditional(&rejected))
	img := ocitest.PushImage(t, reg.Ref(t, "app:v1"), 1)
	tagPath := "/v2/app/manifests/sha256-" + ocitest.HexOf(img)
	var read sync.WaitGroup
	read.Add(writers)
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Go(func() {
			rt := &raceWriter{base: http.DefaultTransport, path: tagPath, read: &read}
			_, errs[i] = attach.Bundle(t.Context(), img, ocitest.NewSigner(fmt.Sprint("w", i)).Bundle(t, img.DigestStr()),
				opts(nil, attach.WithTransport(rt))...)
			rt.done()
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if rejected.Load() == 0 {
		t.Error("no conditional PUT was rejected; the race was not exercised")
	}
	idx, err := remote.Index(img.Context().Tag("sha256-" + ocitest.HexOf(img)))
	if err != nil {
		t.Fatal(err)
	}
	im, _ := idx.IndexManifest()
	if len(im.Manifests) != writers {
		t.Fatalf("%d entries, want %d", len(im.Manifests), writers)
	}
	t.Logf("%d conditional PUTs rejected with 412 and retried", rejected.Load())
}

// TestAttachRoundTrips counts Attach's requests: ping, image manifest, two
// blob uploads by ggcr (HEAD, then POST, PATCH, PUT when absent), the
// manifest PUT, the referrers probe, and on the tag schema its read, write
// and read-back.
func TestAttachRoundTrips(t *testing.T) {
	t.Parallel()
	alice := ocitest.NewSigner("alice")
	tests := []struct {
		name string
		kind ocitest.Kind
		want int
	}{
		{name: "referrers API", kind: ocitest.GGCRReferrers, want: 12},
		{name: "tag schema", kind: ocitest.GGCRNoReferrers, want: 15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg := ocitest.Start(t, tt.kind, nil)
			img := ocitest.PushImage(t, reg.Ref(t, "app:v1"), 1)
			c := ocitest.NewCounter()
			if _, err := attach.Bundle(t.Context(), img, alice.Bundle(t, img.DigestStr()), opts(c)...); err != nil {
				t.Fatal(err)
			}
			reqs := c.Reset()
			t.Logf("%d requests: %v", len(reqs), reqs)
			if len(reqs) != tt.want {
				t.Errorf("%d requests, want %d", len(reqs), tt.want)
			}
		})
	}
}
