package otelsink_test

import (
	"context"
	"errors"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/audit/otelsink"
	"github.com/ztci/ztci/audit/otelsink/ackprocessor"
)

// TestReview33AckLimits: with WithAcknowledgement, a record the SDK's
// limits cut (attributes dropped by a count limit, values truncated by a
// length limit, as OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT and
// OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT set them) is not a record
// exported whole: Write fails with ErrIncomplete (an audit.ErrSink), and
// nothing reaches the exporter. The SDK's defaults pass.
func TestReview33AckLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []sdklog.LoggerProviderOption
		fail bool
	}{
		{name: "defaults", fail: false},
		{name: "count limit", opts: []sdklog.LoggerProviderOption{sdklog.WithAttributeCountLimit(5)}, fail: true},
		{name: "count limit one short", opts: []sdklog.LoggerProviderOption{sdklog.WithAttributeCountLimit(19)}, fail: true},
		{name: "value length limit", opts: []sdklog.LoggerProviderOption{sdklog.WithAttributeValueLengthLimit(8)}, fail: true},
		{name: "generous limits", opts: []sdklog.LoggerProviderOption{sdklog.WithAttributeCountLimit(64), sdklog.WithAttributeValueLengthLimit(4096)}, fail: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			exp := &memExporter{}
			p, err := ackprocessor.New(exp)
			if err != nil {
				t.Fatal(err)
			}
			lp := sdklog.NewLoggerProvider(append([]sdklog.LoggerProviderOption{sdklog.WithProcessor(p)}, tt.opts...)...)
			t.Cleanup(func() { _ = lp.Shutdown(context.Background()) })
			s, err := otelsink.New(lp, otelsink.WithAcknowledgement())
			if err != nil {
				t.Fatal(err)
			}
			err = s.Write(t.Context(), fullEvent())
			if !tt.fail {
				if err != nil {
					t.Fatalf("Write: %v", err)
				}
				if n := len(exp.all()); n != 1 {
					t.Fatalf("%d records exported, want 1", n)
				}
				return
			}
			if !errors.Is(err, audit.ErrSink) || !errors.Is(err, otelsink.ErrIncomplete) {
				t.Fatalf("Write: %v, want ErrIncomplete wrapping audit.ErrSink", err)
			}
			var ie *otelsink.IncompleteError
			if !errors.As(err, &ie) {
				t.Fatalf("Write: %v, want an *IncompleteError", err)
			}
			if n := len(exp.all()); n != 0 {
				t.Fatalf("%d cut records reached the exporter", n)
			}
		})
	}
}

// editProcessor changes each record before the next processor sees it.
type editProcessor struct{ edit func(*sdklog.Record) }

func (p editProcessor) OnEmit(_ context.Context, r *sdklog.Record) error {
	p.edit(r)
	return nil
}
func (editProcessor) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }
func (editProcessor) Shutdown(context.Context) error                         { return nil }
func (editProcessor) ForceFlush(context.Context) error                       { return nil }

// TestReview33AckEdited: a processor ahead of the ackprocessor that adds an
// attribute loses nothing (Write succeeds); one that overwrites an emitted
// attribute does (Write fails with ErrIncomplete).
func TestReview33AckEdited(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*sdklog.Record)
		fail bool
	}{
		{name: "added", edit: func(r *sdklog.Record) { r.AddAttributes(attribute.String("vendor.tenant", "acme")) }},
		{name: "overwritten", edit: func(r *sdklog.Record) { r.AddAttributes(attribute.String(otelsink.AttrOutcome, "allow")) }, fail: true},
		{name: "odd event keys", edit: func(*sdklog.Record) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			exp := &memExporter{}
			p, err := ackprocessor.New(exp)
			if err != nil {
				t.Fatal(err)
			}
			lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(editProcessor{tt.edit}), sdklog.WithProcessor(p))
			t.Cleanup(func() { _ = lp.Shutdown(context.Background()) })
			s, err := otelsink.New(lp, otelsink.WithAcknowledgement())
			if err != nil {
				t.Fatal(err)
			}
			e := fullEvent()
			e.Attributes[""] = "empty key"
			e.Actor.Claims["a.b"] = "dotted"
			err = s.Write(t.Context(), e)
			if tt.fail != errors.Is(err, otelsink.ErrIncomplete) {
				t.Fatalf("Write: %v, want ErrIncomplete: %v", err, tt.fail)
			}
			if !tt.fail && err != nil {
				t.Fatalf("Write: %v", err)
			}
		})
	}
}
