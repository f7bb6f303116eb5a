// Package jsleader reads the newest message under a subject from the
// leader of a JetStream stream.
//
// jetstream's GetLastMsgForSubject lets any replica answer when the stream
// allows direct gets, lagging ones included; the fleet packages that decide
// from that answer (is a lease's owner still alive, has the feeder examined
// every event) need the leader's view, so they send STREAM.MSG.GET
// themselves, through this package, to the API prefix the caller's
// JetStream context uses (domains and custom prefixes included).
package jsleader

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/internal/clip"
)

// maxAnswer bounds the answer decoded: a message's data arrives base64
// encoded, so this leaves room for a message of NATS's default 1 MiB
// maximum payload.
const maxAnswer = 2 << 20

// maxQuoted bounds the bytes of an error answer's description quoted in
// an error: whoever answers the request chose it.
const maxQuoted = 256

// Msg is the newest message under a subject, as the stream leader holds it.
type Msg struct {
	Seq     uint64
	Subject string
	Data    []byte
	// Header holds the message's headers (nil if none, or if they do not
	// decode).
	Header nats.Header
}

// LastMsg asks the leader of stream for the newest message under subject
// (a filter: wildcards are allowed). found is false when the stream holds
// none; every other failure, an answer that does not decode included, is an
// error, so a caller cannot mistake "could not ask" for "nothing there". A
// ctx without a deadline is bounded by js's default timeout.
func LastMsg(ctx context.Context, js jetstream.JetStream, stream, subject string) (m Msg, found bool, err error) {
	req, err := json.Marshal(struct {
		LastBySubject string `json:"last_by_subj"`
	}{subject})
	if err != nil {
		return Msg{}, false, err
	}
	ctx, cancel := bounded(ctx, js.Options())
	defer cancel()
	answer, err := js.Conn().RequestWithContext(ctx, APIPrefix(js.Options())+"STREAM.MSG.GET."+stream, req)
	if err != nil {
		return Msg{}, false, fmt.Errorf("last message under %q: %w", subject, err)
	}
	m, found, err = Decode(answer.Data)
	if err != nil {
		return Msg{}, false, fmt.Errorf("last message under %q: %w", subject, err)
	}
	return m, found, nil
}

// defaultTimeout bounds a request when neither ctx nor the JetStream
// context sets a deadline (jetstream's own default).
const defaultTimeout = 5 * time.Second

// bounded gives ctx the JetStream context's default timeout when it has no
// deadline, as every jetstream API call does: a request to a hung leader,
// or to a subject some server listens on while no leader answers, would
// otherwise wait forever.
func bounded(ctx context.Context, o jetstream.JetStreamOptions) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	d := o.DefaultTimeout
	if d <= 0 {
		d = defaultTimeout
	}
	return context.WithTimeout(ctx, d)
}

// Decode interprets a STREAM.MSG.GET answer: a message, "no message found"
// (found false), or an error for anything else.
func Decode(data []byte) (m Msg, found bool, err error) {
	if len(data) > maxAnswer {
		return Msg{}, false, fmt.Errorf("answer of %d bytes, more than %d", len(data), maxAnswer)
	}
	var a struct {
		Error *struct {
			Code        int    `json:"code"`
			ErrCode     int    `json:"err_code"`
			Description string `json:"description"`
		} `json:"error"`
		Message *struct {
			Seq     uint64 `json:"seq"`
			Subject string `json:"subject"`
			Header  []byte `json:"hdrs"`
			Data    []byte `json:"data"`
		} `json:"message"`
	}
	if err := json.Unmarshal(data, &a); err != nil {
		return Msg{}, false, fmt.Errorf("undecodable answer: %w", err)
	}
	switch {
	case a.Error != nil && a.Error.ErrCode == int(jetstream.JSErrCodeMessageNotFound):
		return Msg{}, false, nil
	case a.Error != nil:
		return Msg{}, false, fmt.Errorf("JetStream error %d (%d): %s", a.Error.Code, a.Error.ErrCode, clip.Quote(a.Error.Description, maxQuoted))
	case a.Message == nil:
		return Msg{}, false, errors.New("answer holds no message")
	}
	m = Msg{Seq: a.Message.Seq, Subject: a.Message.Subject, Data: a.Message.Data}
	if len(a.Message.Header) > 0 {
		// Headers that do not decode read as none: callers that need one
		// treat its absence as not knowing.
		if h, err := nats.DecodeHeadersMsg(a.Message.Header); err == nil {
			m.Header = h
		}
	}
	return m, true, nil
}

// APIPrefix is the JetStream API subject prefix a context with options o
// sends its requests to, as jetstream.New, NewWithAPIPrefix and
// NewWithDomain set it.
func APIPrefix(o jetstream.JetStreamOptions) string {
	switch {
	case o.Domain != "":
		return "$JS." + o.Domain + ".API."
	case o.APIPrefix == "":
		return jetstream.DefaultAPIPrefix
	case strings.HasSuffix(o.APIPrefix, "."):
		return o.APIPrefix
	default:
		return o.APIPrefix + "."
	}
}
