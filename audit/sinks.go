package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
)

// JSONLines is a Sink that writes one JSON object per line to an
// [io.Writer]. It is durable only as far as the writer is: wrap an *os.File
// in a [Log] for fsync'd, tamper-evident storage.
type JSONLines struct {
	mu  sync.Mutex
	w   io.Writer
	ce  bool
	buf []byte
}

// NewJSONLines returns a JSON Lines sink writing to w. Options:
// [WithCloudEvents].
func NewJSONLines(w io.Writer, opts ...Option) (*JSONLines, error) {
	if w == nil {
		return nil, fmt.Errorf("audit: NewJSONLines: nil writer")
	}
	o, err := build(forJSONLines, opts)
	if err != nil {
		return nil, err
	}
	return &JSONLines{w: w, ce: o.cloudEvents}, nil
}

// Write encodes e ([Encode] or [ToCloudEvent]) and writes it with a single
// Write call followed by '\n'. It is safe for concurrent use; lines never
// interleave.
func (s *JSONLines) Write(ctx context.Context, e Event) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrSink, err)
	}
	var line []byte
	var err error
	if s.ce {
		var ce CloudEvent
		if ce, err = ToCloudEvent(e); err == nil {
			line, err = marshalCloudEvents(ce)
		}
	} else {
		line, err = Encode(e)
	}
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = append(append(s.buf[:0], line...), '\n')
	n, err := s.w.Write(s.buf)
	if err != nil {
		return fmt.Errorf("%w: jsonl write: %w", ErrSink, err)
	}
	if n != len(s.buf) {
		// io.Writer promises an error with a short write; a writer that
		// breaks that promise has still not recorded the whole line.
		return fmt.Errorf("%w: jsonl write: %w (%d of %d bytes)", ErrSink, io.ErrShortWrite, n, len(s.buf))
	}
	return nil
}

// FanOut returns a Sink that writes each event to every sink, in order, and
// fails if any of them fails (the error joins all failures). It never stops
// early: one broken sink does not starve the others.
func FanOut(sinks ...Sink) Sink {
	sinks = append([]Sink(nil), sinks...)
	return SinkFunc(func(ctx context.Context, e Event) error {
		var errs []error
		for i, s := range sinks {
			if err := s.Write(ctx, e); err != nil {
				errs = append(errs, fmt.Errorf("fan-out sink %d: %w", i, err))
			}
		}
		if len(errs) > 0 {
			return fmt.Errorf("%w: %w", ErrSink, errors.Join(errs...))
		}
		return nil
	})
}

// SlogSink returns a Sink that logs each event at level Info on l, for
// development. It returns an error only for invalid events: a logger gives
// no durability, so never use it as the only sink in production.
func SlogSink(l *slog.Logger) Sink {
	return SinkFunc(func(ctx context.Context, e Event) error {
		if err := e.Validate(); err != nil {
			return err
		}
		attrs := []slog.Attr{
			slog.String("id", e.ID),
			slog.Time("time", e.Time),
			slog.String("source", e.Source),
			slog.String("outcome", string(e.Outcome)),
			slog.String("actor", e.Actor.ID),
		}
		if e.Resource != "" {
			attrs = append(attrs, slog.String("resource", e.Resource))
		}
		if e.Reason != "" {
			attrs = append(attrs, slog.String("reason", e.Reason))
		}
		if e.PolicyRevision != "" {
			attrs = append(attrs, slog.String("policy_revision", e.PolicyRevision))
		}
		if len(e.Violations) > 0 {
			attrs = append(attrs, slog.Any("violations", e.Violations))
		}
		if e.Correlation != (Correlation{}) {
			attrs = append(attrs, slog.Group("correlation",
				slog.String("job_id", e.Correlation.JobID),
				slog.String("run_id", e.Correlation.RunID),
				slog.String("trace_id", e.Correlation.TraceID)))
		}
		if len(e.Attributes) > 0 {
			attrs = append(attrs, slog.Any("attributes", e.Attributes))
		}
		l.LogAttrs(ctx, slog.LevelInfo, "audit "+e.Action, attrs...)
		return nil
	})
}
