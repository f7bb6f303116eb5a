package k8s

import "errors"

// Errors. A review that cannot be decoded is answered with HTTP 400 (the API
// server then applies the webhook's failurePolicy, which must be Fail); an
// object the webhook cannot read is denied in a well-formed response.
var (
	// ErrConfig: New was given a missing argument or a bad option.
	ErrConfig = errors.New("k8s: invalid configuration")
	// ErrBadReview: the body is not one admission.k8s.io/v1 AdmissionReview
	// request (wrong apiVersion or kind, unknown, misspelled or repeated
	// members, no request or uid, a response already set).
	ErrBadReview = errors.New("k8s: not an admission.k8s.io/v1 AdmissionReview request")
	// ErrUnsupportedKind: the object is of a kind whose images the webhook
	// cannot find. Denied unless [WithUngatedKindsAllowedUnsafe], and even
	// then in a request for a Pod or its ephemeral containers.
	ErrUnsupportedKind = errors.New("k8s: kind not gated")
	// ErrBadObject: the object does not decode strictly as the kind the
	// request names, or names another kind, namespace or name than the
	// request itself, or has a container without an image.
	ErrBadObject = errors.New("k8s: object not readable")
)
