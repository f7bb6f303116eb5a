package audit

import (
	"bytes"
	"encoding/json"
	"time"
)

// CloudEventTypePrefix prefixes [Event.Action] to form the CloudEvents type.
const CloudEventTypePrefix = "dev.ztci.audit."

// CloudEvent is the CloudEvents 1.0 structured-mode JSON envelope of an
// [Event] (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md).
//
// Mapping: id ← Event.ID (so consumers de-duplicate on the same key),
// source ← Event.Source, type ← "dev.ztci.audit." + Event.Action,
// subject ← Event.Resource, time ← Event.Time, datacontenttype
// "application/json", data ← the event's stable JSON ([Encode]; byte for
// byte as [JSONLines] and [Webhook] write it, so it is the leaf a [Log]
// stores), and the extension attribute ztcioutcome ← Event.Outcome so
// brokers can route on the outcome without parsing data.
type CloudEvent struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Subject         string          `json:"subject,omitempty"`
	Time            time.Time       `json:"time"`
	DataContentType string          `json:"datacontenttype"`
	Outcome         Outcome         `json:"ztcioutcome"`
	Data            json.RawMessage `json:"data"`
}

// ToCloudEvent wraps e in a CloudEvents envelope. It fails like [Encode].
func ToCloudEvent(e Event) (CloudEvent, error) {
	data, err := Encode(e)
	if err != nil {
		return CloudEvent{}, err
	}
	return CloudEvent{
		SpecVersion:     "1.0",
		ID:              e.ID,
		Source:          e.Source,
		Type:            CloudEventTypePrefix + e.Action,
		Subject:         e.Resource,
		Time:            e.Time.UTC(),
		DataContentType: "application/json",
		Outcome:         e.Outcome,
		Data:            data,
	}, nil
}

// marshalCloudEvents encodes v, a CloudEvent or a batch of them, as JSON
// without HTML escaping, so that each data member is byte for byte the
// event's stable JSON, as [CloudEvent] says. json.Marshal escapes '<', '>'
// and '&' inside a RawMessage too (\u003c...), and Encode does not: a
// consumer checking a delivered event against the log's Merkle leaf (the
// stable JSON as stored) found no match for any event holding one of
// them, such as a URL with a query.
func marshalCloudEvents(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte{'\n'}), nil
}
