package oci

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
)

// BundleInfo is what Attach records about a bundle in the artifact
// annotations. It is descriptive only: verification never trusts it.
type BundleInfo struct {
	MediaType     string
	Content       string // "dsse-envelope" or "message-signature"
	PredicateType string // from the in-toto statement, when there is one
}

const inTotoPayloadType = "application/vnd.in-toto+json"

// SniffBundle reads the media type, content kind and predicate type of a
// Sigstore bundle. It does not verify anything.
func SniffBundle(b []byte) (*BundleInfo, error) {
	if len(b) > MaxBundleSize {
		return nil, fmt.Errorf("%w: %w", ErrConfig, &TooLargeError{What: "bundle", Limit: MaxBundleSize, Got: int64(len(b))})
	}
	var raw struct {
		MediaType        string          `json:"mediaType"`
		DSSEEnvelope     json.RawMessage `json:"dsseEnvelope"`
		MessageSignature json.RawMessage `json:"messageSignature"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%w: bundle is not one JSON object: %v", ErrConfig, err)
	}
	if !IsBundleType(raw.MediaType) {
		return nil, fmt.Errorf("%w: bundle mediaType %s is not a Sigstore bundle", ErrConfig, quote(raw.MediaType))
	}
	info := &BundleInfo{MediaType: raw.MediaType}
	switch {
	case len(raw.DSSEEnvelope) > 0 && len(raw.MessageSignature) > 0:
		return nil, fmt.Errorf("%w: bundle has both dsseEnvelope and messageSignature", ErrConfig)
	case len(raw.MessageSignature) > 0:
		info.Content = "message-signature"
	case len(raw.DSSEEnvelope) > 0:
		info.Content = "dsse-envelope"
		var env struct {
			PayloadType string `json:"payloadType"`
			Payload     string `json:"payload"`
		}
		if err := json.Unmarshal(raw.DSSEEnvelope, &env); err != nil {
			return nil, fmt.Errorf("%w: bundle dsseEnvelope: %v", ErrConfig, err)
		}
		if env.PayloadType == inTotoPayloadType {
			payload, err := base64.StdEncoding.DecodeString(env.Payload)
			if err != nil {
				return nil, fmt.Errorf("%w: bundle DSSE payload is not base64: %v", ErrConfig, err)
			}
			var st struct {
				PredicateType string `json:"predicateType"`
			}
			if err := json.Unmarshal(payload, &st); err != nil {
				return nil, fmt.Errorf("%w: bundle in-toto payload: %v", ErrConfig, err)
			}
			info.PredicateType = st.PredicateType
		}
	default:
		return nil, fmt.Errorf("%w: bundle has neither dsseEnvelope nor messageSignature", ErrConfig)
	}
	return info, nil
}
