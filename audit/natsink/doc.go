// Package natsink is an audit [audit.Sink] that publishes events to a NATS
// JetStream stream, for vendors whose fleet outgrows one machine.
//
// Each event is published, as its stable JSON ([audit.Encode]), to the
// subject "<prefix>.<tenant>" (default prefix "ztci.audit"), so a stream or
// consumer can be scoped per tenant. The publish carries the event id as
// Nats-Msg-Id (an id a header cannot carry exactly — over 128 bytes, or
// with spaces, control or non-ASCII bytes — as "sha256:" and its hex
// SHA-256, so that distinct ids never share one), so JetStream drops
// duplicates within the stream's de-duplication window, and Write returns
// only once the server has acknowledged that the stream stored the message
// (or already had it).
//
// The tenant comes from a required [TenantFunc]: events are never published
// under a guessed tenant. Tenant names must be single subject tokens
// (letters, digits, '-', '_'), which prevents one tenant's events from being
// routed into another's subject hierarchy.
//
//	nc, _ := nats.Connect(url)
//	js, _ := jetstream.New(nc)
//	sink, _ := natsink.New(js, "AUDIT", natsink.TenantAttribute("tenant"))
//	err := sink.Write(ctx, event) // nil once the stream has stored it
//
// The stream must exist and capture "<prefix>.>"; set its Duplicates window
// to cover retries. This package links nats.go; package audit does not.
package natsink
