package k8s

import (
	"fmt"
	"reflect"
	"unicode/utf8"

	admissionv1 "k8s.io/api/admission/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "sigs.k8s.io/json"
)

// The AdmissionReview version this webhook speaks. Register the webhook
// with admissionReviewVersions: ["v1"].
const (
	ReviewAPIVersion = "admission.k8s.io/v1"
	ReviewKind       = "AdmissionReview"
)

// maxUID bounds the request uid echoed back: the API server sends a UUID.
const maxUID = 128

// DecodeReview parses one AdmissionReview request as the API server sends
// it, as strictly as the API server itself parses: member names match
// exactly (encoding/json alone would accept "UID" for "uid"), a member may
// appear once, unknown members, trailing data and bytes that are not UTF-8
// are errors. apiVersion must be admission.k8s.io/v1 and kind
// AdmissionReview; request and its uid are required and response must be
// absent. Every error wraps [ErrBadReview].
//
// The object inside is kept raw; [Images] decodes it, as strictly, once the
// request's kind is known.
func DecodeReview(b []byte) (*admissionv1.AdmissionReview, error) {
	// The API server writes UTF-8 (RFC 8259); the decoder would turn each
	// invalid byte of a string (an image) into U+FFFD, a name that no
	// other reader of the object sees.
	if !utf8.Valid(b) {
		return nil, fmt.Errorf("%w: not UTF-8", ErrBadReview)
	}
	var r admissionv1.AdmissionReview
	strict, err := kjson.UnmarshalStrict(b, &r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadReview, err)
	}
	if len(strict) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrBadReview, strict[0])
	}
	switch {
	case r.APIVersion != ReviewAPIVersion || r.Kind != ReviewKind:
		return nil, fmt.Errorf("%w: got apiVersion %q kind %q, want %s %s", ErrBadReview, r.APIVersion, r.Kind, ReviewAPIVersion, ReviewKind)
	case r.Request == nil:
		return nil, fmt.Errorf("%w: no request", ErrBadReview)
	case r.Response != nil:
		return nil, fmt.Errorf("%w: a request must not carry a response", ErrBadReview)
	case r.Request.UID == "" || len(r.Request.UID) > maxUID:
		return nil, fmt.Errorf("%w: request uid missing or longer than %d bytes", ErrBadReview, maxUID)
	}
	return &r, nil
}

// Image is one distinct image reference an object names, and where.
type Image struct {
	// Ref is the reference exactly as the object spells it.
	Ref string
	// Uses names every place that references Ref, e.g.
	// "initContainers[setup]", "ephemeralContainers[debug]",
	// "volumes[models]" (an image volume).
	Uses []string
}

// Kinds this webhook reads images from: Pods and the workload kinds that
// carry a Pod template.
var (
	KindPod                   = metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}
	KindPodTemplate           = metav1.GroupVersionKind{Version: "v1", Kind: "PodTemplate"}
	KindReplicationController = metav1.GroupVersionKind{Version: "v1", Kind: "ReplicationController"}
	KindDeployment            = metav1.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}
	KindReplicaSet            = metav1.GroupVersionKind{Group: "apps", Version: "v1", Kind: "ReplicaSet"}
	KindStatefulSet           = metav1.GroupVersionKind{Group: "apps", Version: "v1", Kind: "StatefulSet"}
	KindDaemonSet             = metav1.GroupVersionKind{Group: "apps", Version: "v1", Kind: "DaemonSet"}
	KindJob                   = metav1.GroupVersionKind{Group: "batch", Version: "v1", Kind: "Job"}
	KindCronJob               = metav1.GroupVersionKind{Group: "batch", Version: "v1", Kind: "CronJob"}
)

// object is what every gated kind's Go type provides: its own TypeMeta and
// ObjectMeta (pointer methods), and the Pod specs it would run.
type object interface {
	GroupVersionKind() schema.GroupVersionKind
	GetNamespace() string
	GetName() string
	GetDeletionTimestamp() *metav1.Time
	GetGenerateName() string
}

// Images decodes req.Object as the kind req.Kind names and returns every
// distinct image of its containers, init containers, ephemeral containers
// and image volumes, in the order they first appear. The object is decoded
// strictly (exact member names, no duplicates, no members this version of
// the Kubernetes API does not know: a field added by a newer cluster could
// hold an image this code would not see) and must name req.Kind itself,
// and req.Namespace and req.Name when it names a namespace and a name.
//
// A kind other than [KindPod] and the other Kind variables returns an error
// wrapping [ErrUnsupportedKind]; an object that does not decode, a
// container with no image, or a request without an object other than a
// DELETE or CONNECT, one wrapping [ErrBadObject]. A DELETE or CONNECT
// without an object has no images.
func Images(req *admissionv1.AdmissionRequest) ([]Image, error) {
	specs, _, err := decodeObject(req)
	if err != nil {
		return nil, err
	}
	return imagesOf(specs)
}

// decodeObject returns the pod specs of req.Object and its metadata.
func decodeObject(req *admissionv1.AdmissionRequest) ([]*corev1.PodSpec, object, error) {
	if len(req.Object.Raw) == 0 {
		// DELETE and CONNECT carry no object and start nothing. Any other
		// request without one (a CREATE or UPDATE always carries what it
		// would store) has nothing to read images from: a bad object,
		// never "no images", which a caller of Images would admit.
		if req.Operation == admissionv1.Delete || req.Operation == admissionv1.Connect {
			return nil, nil, nil
		}
		return nil, nil, fmt.Errorf("%w: %s request without an object", ErrBadObject, req.Operation)
	}
	specs, obj, err := decodeKind(req.Kind, req.Object.Raw)
	if err != nil {
		return nil, nil, err
	}
	if err := namesRequest(req, obj); err != nil {
		return nil, nil, err
	}
	return specs, obj, nil
}

// namesRequest checks that obj is the object req is about. The API server
// sets an object's namespace to the request's before admission and
// refuses one that names another, or another name than an UPDATE's URL,
// so a review in which they differ is not the API server's. The
// webhook's audit event, like the API server's audit log that carries its
// annotations, names the request's namespace and name: both would
// attribute the images to an object that does not hold them. An object
// may name neither (a CREATE whose name the API server generates has an
// empty request name).
func namesRequest(req *admissionv1.AdmissionRequest, obj object) error {
	if ns := obj.GetNamespace(); ns != "" && ns != req.Namespace {
		return fmt.Errorf("%w: request namespace %q but object says %q", ErrBadObject, req.Namespace, ns)
	}
	if name := obj.GetName(); name != "" && req.Name != "" && name != req.Name {
		return fmt.Errorf("%w: request name %q but object says %q", ErrBadObject, req.Name, name)
	}
	return nil
}

// decodeKind returns the pod specs and metadata of raw, an object of kind.
func decodeKind(kind metav1.GroupVersionKind, raw []byte) ([]*corev1.PodSpec, object, error) {
	switch kind {
	case KindPod:
		return decodeAs(kind, raw, func(o *corev1.Pod) []*corev1.PodSpec { return []*corev1.PodSpec{&o.Spec} })
	case KindPodTemplate:
		return decodeAs(kind, raw, func(o *corev1.PodTemplate) []*corev1.PodSpec { return []*corev1.PodSpec{&o.Template.Spec} })
	case KindReplicationController:
		return decodeAs(kind, raw, func(o *corev1.ReplicationController) []*corev1.PodSpec {
			if o.Spec.Template == nil {
				return nil
			}
			return []*corev1.PodSpec{&o.Spec.Template.Spec}
		})
	case KindDeployment:
		return decodeAs(kind, raw, func(o *appsv1.Deployment) []*corev1.PodSpec { return []*corev1.PodSpec{&o.Spec.Template.Spec} })
	case KindReplicaSet:
		return decodeAs(kind, raw, func(o *appsv1.ReplicaSet) []*corev1.PodSpec { return []*corev1.PodSpec{&o.Spec.Template.Spec} })
	case KindStatefulSet:
		return decodeAs(kind, raw, func(o *appsv1.StatefulSet) []*corev1.PodSpec { return []*corev1.PodSpec{&o.Spec.Template.Spec} })
	case KindDaemonSet:
		return decodeAs(kind, raw, func(o *appsv1.DaemonSet) []*corev1.PodSpec { return []*corev1.PodSpec{&o.Spec.Template.Spec} })
	case KindJob:
		return decodeAs(kind, raw, func(o *batchv1.Job) []*corev1.PodSpec { return []*corev1.PodSpec{&o.Spec.Template.Spec} })
	case KindCronJob:
		return decodeAs(kind, raw, func(o *batchv1.CronJob) []*corev1.PodSpec {
			return []*corev1.PodSpec{&o.Spec.JobTemplate.Spec.Template.Spec}
		})
	}
	return nil, nil, fmt.Errorf("%w: %s", ErrUnsupportedKind, gvkString(kind))
}

// decodeAs decodes raw strictly into a T and checks that the object names
// kind, the kind the request names: two readings of one object must agree.
func decodeAs[T any, PT interface {
	*T
	object
}](kind metav1.GroupVersionKind, raw []byte, specs func(PT) []*corev1.PodSpec) ([]*corev1.PodSpec, object, error) {
	o := PT(new(T))
	strict, err := kjson.UnmarshalStrict(raw, o)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %w", ErrBadObject, kind.Kind, err)
	}
	if len(strict) > 0 {
		return nil, nil, fmt.Errorf("%w: %s: %w", ErrBadObject, kind.Kind, strict[0])
	}
	got := o.GroupVersionKind()
	if got.Group != kind.Group || got.Version != kind.Version || got.Kind != kind.Kind {
		return nil, nil, fmt.Errorf("%w: request kind %s but object says %s", ErrBadObject, gvkString(kind),
			gvkString(metav1.GroupVersionKind{Group: got.Group, Version: got.Version, Kind: got.Kind}))
	}
	return specs(o), o, nil
}

// imagesOf collects the distinct images of specs, in first-seen order.
func imagesOf(specs []*corev1.PodSpec) ([]Image, error) {
	var out []Image
	index := map[string]int{}
	err := eachImage(specs, func(ref, use string) error {
		if ref == "" {
			return fmt.Errorf("%w: %s has no image", ErrBadObject, use)
		}
		if i, ok := index[ref]; ok {
			out[i].Uses = append(out[i].Uses, use)
			return nil
		}
		index[ref] = len(out)
		out = append(out, Image{Ref: ref, Uses: []string{use}})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eachImage calls f with every image reference specs name, empty ones
// included, and where, stopping at f's first error.
func eachImage(specs []*corev1.PodSpec, f func(ref, use string) error) error {
	for _, s := range specs {
		for _, c := range s.InitContainers {
			if err := f(c.Image, "initContainers["+c.Name+"]"); err != nil {
				return err
			}
		}
		for _, c := range s.Containers {
			if err := f(c.Image, "containers["+c.Name+"]"); err != nil {
				return err
			}
		}
		for _, c := range s.EphemeralContainers {
			if err := f(c.Image, "ephemeralContainers["+c.Name+"]"); err != nil {
				return err
			}
		}
		// An image volume mounts an OCI artifact's files into the Pod:
		// content from a registry, gated like a container image.
		for _, v := range s.Volumes {
			if v.Image == nil {
				continue
			}
			if err := f(v.Image.Reference, "volumes["+v.Name+"]"); err != nil {
				return err
			}
		}
	}
	return nil
}

// addsNoImage reports whether req, an UPDATE whose object has specs, names
// no image reference that req.OldObject, read strictly as the same kind,
// did not already name. False when the old object is missing or does not
// read: the update is then decided like any other.
func addsNoImage(req *admissionv1.AdmissionRequest, specs []*corev1.PodSpec) bool {
	if len(req.OldObject.Raw) == 0 {
		return false
	}
	oldSpecs, _, err := decodeKind(req.Kind, req.OldObject.Raw)
	if err != nil {
		return false
	}
	had := map[string]bool{}
	_ = eachImage(oldSpecs, func(ref, _ string) error { had[ref] = true; return nil })
	added := false
	_ = eachImage(specs, func(ref, _ string) error { added = added || !had[ref]; return nil })
	return !added
}

// specsUnchanged reports whether specs, the Pod specs of req's object,
// equal field for field those of req.OldObject read strictly as the same
// kind. False when the old object is missing or does not read: the update
// is then decided like any other. Both are the API server's encoding of
// the stored and the new object, so a spec it did not change decodes
// equal; any difference, however it came (a patch that reads like
// metadata, a subresource), is decided.
func specsUnchanged(req *admissionv1.AdmissionRequest, specs []*corev1.PodSpec) bool {
	if len(req.OldObject.Raw) == 0 {
		return false
	}
	oldSpecs, _, err := decodeKind(req.Kind, req.OldObject.Raw)
	if err != nil || len(oldSpecs) != len(specs) {
		return false
	}
	for i := range specs {
		if specs[i] == nil || oldSpecs[i] == nil || !reflect.DeepEqual(specs[i], oldSpecs[i]) {
			return false
		}
	}
	return true
}

func gvkString(k metav1.GroupVersionKind) string {
	if k.Group == "" {
		return k.Version + " " + k.Kind
	}
	return k.Group + "/" + k.Version + " " + k.Kind
}
