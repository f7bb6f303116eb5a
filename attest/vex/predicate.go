package vex

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"github.com/ztci/ztci/attest"
)

// The JSON written: the OpenVEX v0.2.0 member names, optional members left
// out when empty.
type outDocument struct {
	Context     string         `json:"@context"`
	ID          string         `json:"@id"`
	Author      string         `json:"author"`
	Role        string         `json:"role,omitempty"`
	Timestamp   string         `json:"timestamp"`
	LastUpdated string         `json:"last_updated,omitempty"`
	Version     int            `json:"version"`
	Tooling     string         `json:"tooling,omitempty"`
	Supplier    string         `json:"supplier,omitempty"`
	Statements  []outStatement `json:"statements"`
}

type outStatement struct {
	ID                       string           `json:"@id,omitempty"`
	Version                  int              `json:"version,omitempty"`
	Vulnerability            outVulnerability `json:"vulnerability"`
	Timestamp                string           `json:"timestamp"`
	LastUpdated              string           `json:"last_updated,omitempty"`
	Products                 []outProduct     `json:"products,omitempty"`
	Status                   Status           `json:"status"`
	Supplier                 string           `json:"supplier,omitempty"`
	StatusNotes              string           `json:"status_notes,omitempty"`
	Justification            Justification    `json:"justification,omitempty"`
	ImpactStatement          string           `json:"impact_statement,omitempty"`
	ActionStatement          string           `json:"action_statement,omitempty"`
	ActionStatementTimestamp string           `json:"action_statement_timestamp,omitempty"`
}

type outVulnerability struct {
	ID          string   `json:"@id,omitempty"`
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Aliases     []string `json:"aliases,omitempty"`
}

type outComponent struct {
	ID          string            `json:"@id,omitempty"`
	Identifiers map[string]string `json:"identifiers,omitempty"`
	Hashes      map[string]string `json:"hashes,omitempty"`
	Supplier    string            `json:"supplier,omitempty"`
}

type outProduct struct {
	outComponent
	Subcomponents []outComponent `json:"subcomponents,omitempty"`
}

// Predicate returns doc as an in-toto predicate ([PredicateType]), for
// attest.NewStatement with the artifact's digest as subject; sign the
// Statement like any other. doc is copied. Every statement is written with
// its timestamp and products explicit (none inherited), so the signed
// document says the same thing on its own. PredicateJSON fails with an
// error wrapping [ErrInvalid] when the written document would not Parse
// (Parse is run on it).
func Predicate(doc Document) attest.Predicate {
	c := doc
	c.Statements = make([]Statement, len(doc.Statements))
	for i, s := range doc.Statements {
		s.Vulnerability.Aliases = append([]string(nil), s.Vulnerability.Aliases...)
		s.Products = make([]Product, len(doc.Statements[i].Products))
		for j, p := range doc.Statements[i].Products {
			p.Component = p.Component.clone()
			subs := make([]Component, len(p.Subcomponents))
			for k, sc := range p.Subcomponents {
				subs[k] = sc.clone()
			}
			p.Subcomponents = subs
			s.Products[j] = p
		}
		c.Statements[i] = s
	}
	return &predicate{doc: c}
}

func (c Component) clone() Component {
	c.Identifiers = maps.Clone(c.Identifiers)
	c.Hashes = maps.Clone(c.Hashes)
	return c
}

type predicate struct{ doc Document }

func (p *predicate) PredicateType() string { return PredicateType }

func (p *predicate) PredicateJSON() (json.RawMessage, error) {
	d := p.doc
	out := outDocument{
		Context: PredicateType, ID: d.ID, Author: d.Author, Role: d.Role, Timestamp: rfc3339(d.Timestamp),
		LastUpdated: rfc3339(d.LastUpdated), Version: d.Version, Tooling: d.Tooling, Supplier: d.Supplier,
		Statements: []outStatement{},
	}
	for _, s := range d.Statements {
		os := outStatement{
			ID: s.ID, Version: s.Version,
			Vulnerability: outVulnerability{ID: s.Vulnerability.ID, Name: s.Vulnerability.Name, Description: s.Vulnerability.Description, Aliases: s.Vulnerability.Aliases},
			Timestamp:     rfc3339(s.Timestamp), LastUpdated: rfc3339(s.LastUpdated), Status: s.Status, Supplier: s.Supplier,
			StatusNotes: s.StatusNotes, Justification: s.Justification, ImpactStatement: s.ImpactStatement,
			ActionStatement: s.ActionStatement, ActionStatementTimestamp: rfc3339(s.ActionStatementTimestamp),
		}
		for _, pr := range s.Products {
			op := outProduct{outComponent: outC(pr.Component)}
			for _, sc := range pr.Subcomponents {
				op.Subcomponents = append(op.Subcomponents, outC(sc))
			}
			os.Products = append(os.Products, op)
		}
		out.Statements = append(out.Statements, os)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	// What is signed must read back: the writer does not repeat the
	// parser's rules, it runs them.
	if _, err := Parse(b); err != nil {
		return nil, err
	}
	return b, nil
}

func outC(c Component) outComponent { return outComponent(c) }

// rfc3339 writes t in UTC; the zero time is "" (left out when optional,
// refused by Parse when required). A time outside years 0000-9999 in UTC
// cannot be written as RFC 3339; it is written as "" and so refused too.
func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if y := t.UTC().Year(); y < 0 || y > 9999 {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
