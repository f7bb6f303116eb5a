package k8s_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/k8s"
)

// FuzzReview feeds arbitrary bodies to the decoder and, for those that
// decode, the image extraction and the whole review. Properties: nothing
// panics; every error of DecodeReview wraps ErrBadReview; a decoded review
// is answered with its own uid; a review whose images cannot all be read
// is never allowed; the gate is asked about each image at most once; an
// UPDATE passed as spec-unchanged names, use for use, its old object's
// images.
func FuzzReview(f *testing.F) {
	seeds, err := filepath.Glob("testdata/*.json")
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seeds: %v", err)
	}
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"version":"v1","kind":"Pod"},` +
		`"resource":{"version":"v1","resource":"pods"},"operation":"CREATE","userInfo":{},"object":{"apiVersion":"v1","kind":"Pod",` +
		`"metadata":{},"spec":{"containers":[{"name":"a","image":"r/a"}],"volumes":[{"name":"v","image":{"reference":"r/a"}}]}}}}`))
	// An UPDATE of a Pod being deleted whose new image its old object
	// did not name: decided, not passed as being deleted.
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"version":"v1","kind":"Pod"},` +
		`"resource":{"version":"v1","resource":"pods"},"operation":"UPDATE","userInfo":{},` +
		`"object":{"apiVersion":"v1","kind":"Pod","metadata":{"deletionTimestamp":"2026-11-30T10:00:00Z"},"spec":{"containers":[{"name":"a","image":"r/b"}]}},` +
		`"oldObject":{"apiVersion":"v1","kind":"Pod","metadata":{"deletionTimestamp":"2026-11-30T10:00:00Z"},"spec":{"containers":[{"name":"a","image":"r/a"}]}}}}`))
	// An UPDATE of a Pod whose images were swapped between containers:
	// its spec changed, so it is decided, not passed as spec-unchanged.
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"version":"v1","kind":"Pod"},` +
		`"resource":{"version":"v1","resource":"pods"},"operation":"UPDATE","userInfo":{},` +
		`"object":{"apiVersion":"v1","kind":"Pod","metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"a","image":"r/b"},{"name":"b","image":"r/a"}]}},` +
		`"oldObject":{"apiVersion":"v1","kind":"Pod","metadata":{},"spec":{"containers":[{"name":"a","image":"r/a"},{"name":"b","image":"r/b"}]}}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		review, err := k8s.DecodeReview(body)
		if err != nil {
			if !errors.Is(err, k8s.ErrBadReview) {
				t.Fatalf("DecodeReview error does not wrap ErrBadReview: %v", err)
			}
			return
		}
		imgs, ierr := k8s.Images(review.Request)
		seen := map[string]int{}
		d := k8s.DeciderFunc(func(_ context.Context, req gate.Request) (gate.Decision, error) {
			seen[req.Image]++ // parallelism 1: no lock needed
			return gate.Decision{Allowed: true, Outcome: gate.OutcomeAllow, Digest: fakeDigest(req.Image)}, nil
		})
		resp := newWebhook(t, d, &memSink{}, k8s.WithParallelism(1)).Review(t.Context(), review.Request)
		if resp == nil || resp.UID != review.Request.UID {
			t.Fatalf("response %+v does not echo uid %q", resp, review.Request.UID)
		}
		if resp.Allowed && resp.AuditAnnotations[k8s.AnnotationReason] == k8s.ReasonBeingDeleted {
			checkNoNewImage(t, review.Request, imgs, ierr)
			return
		}
		if resp.Allowed && resp.AuditAnnotations[k8s.AnnotationReason] == k8s.ReasonSpecUnchanged {
			checkSameImages(t, review.Request, imgs, ierr)
		}
		if ierr != nil && resp.Allowed && !errors.Is(ierr, k8s.ErrUnsupportedKind) && review.Request.Operation != "DELETE" &&
			review.Request.Operation != "CONNECT" {
			t.Fatalf("allowed although its images could not be read: %v", ierr)
		}
		for ref, n := range seen {
			if n != 1 {
				t.Fatalf("image %q decided %d times", ref, n)
			}
		}
		if ierr == nil && resp.Allowed && (review.Request.Operation == "CREATE" || review.Request.Operation == "UPDATE") &&
			resp.AuditAnnotations[k8s.AnnotationReason] == k8s.ReasonVerified && len(seen) != len(imgs) {
			t.Fatalf("allowed after deciding %d of %d images", len(seen), len(imgs))
		}
	})
}

// checkNoNewImage fails t when req, an UPDATE passed as being deleted,
// names an image (imgs, or ierr when they do not read) its old object did
// not.
func checkNoNewImage(t *testing.T, req *admissionv1.AdmissionRequest, imgs []k8s.Image, ierr error) {
	t.Helper()
	old := *req
	old.Object = req.OldObject
	had, oerr := k8s.Images(&old)
	if ierr != nil || oerr != nil {
		// An image without a reference, in both: nothing new to decide.
		if !errors.Is(ierr, k8s.ErrBadObject) || !errors.Is(oerr, k8s.ErrBadObject) {
			t.Fatalf("passed as being deleted although images do not read: %v / old %v", ierr, oerr)
		}
		return
	}
	for _, img := range imgs {
		if !slices.ContainsFunc(had, func(h k8s.Image) bool { return h.Ref == img.Ref }) {
			t.Fatalf("passed as being deleted with %q, which the old object did not name", img.Ref)
		}
	}
}

// checkSameImages fails t when req, an UPDATE passed as spec-unchanged, is
// not one whose images (imgs) read and are, use for use, those of its old
// object.
func checkSameImages(t *testing.T, req *admissionv1.AdmissionRequest, imgs []k8s.Image, ierr error) {
	t.Helper()
	if req.Operation != admissionv1.Update || ierr != nil {
		t.Fatalf("passed as spec-unchanged: operation %s, images error %v", req.Operation, ierr)
	}
	old := *req
	old.Object = req.OldObject
	had, oerr := k8s.Images(&old)
	if oerr != nil || !slices.EqualFunc(imgs, had, func(a, b k8s.Image) bool { return a.Ref == b.Ref && slices.Equal(a.Uses, b.Uses) }) {
		t.Fatalf("passed as spec-unchanged with images %v, the old object's %v (%v)", imgs, had, oerr)
	}
}
