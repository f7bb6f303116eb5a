package compliance_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ztci/ztci/policy"
	"github.com/ztci/ztci/policy/compliance"
	"github.com/ztci/ztci/policy/compliance/compliancetest"
)

// TestReview28MarkdownInjection: OSCAL titles and descriptions are
// Markdown (markup-line, markup-multiline), and untrusted text went into
// them as it was: a violation message (the policy quotes an image name or
// a signer), an artifact's name, a signer or an id could put a link
// ("[details](https://evil.example)"), an image fetched when the report is
// viewed, raw HTML or emphasis into the report an assessor reads. Now
// every untrusted value is a code span, which a viewer renders as literal
// text, with a fence longer than any backtick run it holds.
func TestReview28MarkdownInjection(t *testing.T) {
	t.Parallel()
	hostile := []string{
		"[Satisfied: see details](https://evil.example/x)",
		"![](https://evil.example/pixel.png)",
		"<img src=x onerror=alert(1)>",
		"**PASS**",
		"a ` b `` c [x](https://evil.example/y)",
		"`` ` ``",
		"trailing backtick`",
	}
	for _, tc := range []struct {
		name string
		set  func(d *compliance.Decision, h string)
	}{
		{"message", func(d *compliance.Decision, h string) {
			d.Violations = []policy.Violation{{Rule: "deploy.builder_not_allowed", Message: h}}
			d.Allowed = false
		}},
		{"unmapped rule", func(d *compliance.Decision, h string) {
			d.Violations = []policy.Violation{{Rule: h, Message: "m"}}
			d.Allowed = false
		}},
		{"name", func(d *compliance.Decision, h string) { d.Name = h }},
		{"subject", func(d *compliance.Decision, h string) { d.Subject = h }},
		{"revision", func(d *compliance.Decision, h string) { d.PolicyRevision = h }},
		{"id", func(d *compliance.Decision, h string) { d.ID = h }},
		{"signer", func(d *compliance.Decision, h string) { d.Evidence[0].Signer = h }},
		{"digest", func(d *compliance.Decision, h string) { d.Evidence[0].Digest = h }},
		{"predicate type", func(d *compliance.Decision, h string) { d.Evidence[0].PredicateType = h }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, h := range hostile {
				d := deployDecision("evt-1", []string{provType})
				tc.set(&d, h)
				// A second decision leaves d's id among a control's
				// unassessed when d passes it.
				r, err := compliance.Assess(builtin(t), "release "+h, t0, d, deployDecision("evt-2", nil))
				if err != nil {
					t.Fatal(err)
				}
				raw, err := r.OSCAL()
				if err != nil {
					t.Fatal(err)
				}
				if err := compliancetest.ValidateOSCAL(raw); err != nil {
					t.Fatal(err)
				}
				var doc any
				if err := json.Unmarshal(raw, &doc); err != nil {
					t.Fatal(err)
				}
				found := false
				walkMarkup(doc, "", func(s string) {
					outside, spans := codeSpans(s)
					for _, bad := range []string{"](", "<img", "**", "![", "`"} {
						if strings.Contains(outside, bad) {
							t.Errorf("%q: %q outside code spans in %q", h, bad, s)
						}
					}
					for _, sp := range spans {
						if strings.Contains(sp, h) {
							found = true
						}
					}
				})
				if !found {
					t.Errorf("%q: in no code span of the OSCAL titles and descriptions", h)
				}
			}
		})
	}
}

// walkMarkup calls f with every OSCAL title and description (the
// Markdown fields of the document; props are plain strings).
func walkMarkup(v any, key string, f func(string)) {
	switch v := v.(type) {
	case string:
		if key == "title" || key == "description" {
			f(v)
		}
	case []any:
		for _, e := range v {
			walkMarkup(e, key, f)
		}
	case map[string]any:
		for k, e := range v {
			walkMarkup(e, k, f)
		}
	}
}

// codeSpans splits s as CommonMark reads its code spans (no backslash
// escapes outside them in this text): a run of n backticks opens a span
// that the next run of exactly n closes, one space stripped each side when
// both are present; an unmatched run is literal text.
func codeSpans(s string) (outside string, spans []string) {
	var out strings.Builder
	run := func(i int) int {
		j := i
		for j < len(s) && s[j] == '`' {
			j++
		}
		return j - i
	}
	for i := 0; i < len(s); {
		if s[i] != '`' {
			out.WriteByte(s[i])
			i++
			continue
		}
		n := run(i)
		closed := -1
		for j := i + n; j < len(s); {
			if s[j] != '`' {
				j++
				continue
			}
			if m := run(j); m == n {
				closed = j
				break
			} else {
				j += m
			}
		}
		if closed < 0 {
			out.WriteString(s[i : i+n])
			i += n
			continue
		}
		c := s[i+n : closed]
		if len(c) >= 2 && c[0] == ' ' && c[len(c)-1] == ' ' && strings.Trim(c, " ") != "" {
			c = c[1 : len(c)-1]
		}
		spans = append(spans, c)
		i = closed + n
	}
	return out.String(), spans
}
