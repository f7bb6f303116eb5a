package attest

import (
	"bytes"
	"errors"
	"strconv"
	"testing"

	"github.com/ztci/ztci/internal/strictjson/strictjsontest"
)

// memberFlood is n unknown members, `"aN":0,` each, to splice into an
// object after its known members.
func memberFlood(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		b.WriteString(`,"a`)
		b.WriteString(strconv.Itoa(i))
		b.WriteString(`":0`)
	}
	return b.Bytes()
}

// TestReview26StatementMemberFlood: unknown members, which the spec says
// to ignore, must not each become a map entry. A signed statement of 8 MiB
// of `"aN":0,` at the top level or in one subject cost ParseStatement's
// decoding about ten times its size in maps of raw members. (The checks
// before it, in internal/strictjson, are measured apart from it.)
func TestReview26StatementMemberFlood(t *testing.T) {
	const n = 800_000 // about 8 MiB
	digest := `"digest":{"sha256":"` + string(bytes.Repeat([]byte("a"), 64)) + `"}`
	flood := memberFlood(n)
	for name, doc := range map[string][]byte{
		"top level": append(append([]byte(`{"_type":"`+StatementTypeV1+`","subject":[{`+digest+`}],"predicateType":"x","predicate":{}`), flood...), '}'),
		"subject":   append(append([]byte(`{"_type":"`+StatementTypeV1+`","predicateType":"x","predicate":{},"subject":[{"name":"n",`+digest), flood...), "}]}"...),
	} {
		t.Run(name, func(t *testing.T) {
			st, err := ParseStatement(doc)
			if err != nil {
				t.Fatalf("ParseStatement: %v", err)
			}
			if len(st.Subject) != 1 || st.Subject[0].Digest["sha256"] == "" {
				t.Fatalf("subjects %+v", st.Subject)
			}
			got := strictjsontest.Allocated(func() { _, err = decodeStatement(doc) })
			if err != nil {
				t.Fatalf("decodeStatement: %v", err)
			}
			// The subject array and its element are copied once each.
			if limit := uint64(3 * len(doc)); got > limit {
				t.Fatalf("decoding allocated %d bytes for a %d-byte statement, want at most %d", got, len(doc), limit)
			}
		})
	}
}

// TestReview26DescriptorMemberFlood is the same for ParseResourceDescriptor.
func TestReview26DescriptorMemberFlood(t *testing.T) {
	doc := append(append([]byte(`{"name":"x"`), memberFlood(800_000)...), '}')
	rd, err := ParseResourceDescriptor(doc)
	if err != nil || rd.Name != "x" {
		t.Fatalf("ParseResourceDescriptor: %+v, %v", rd, err)
	}
	got := strictjsontest.Allocated(func() { _, err = parseDescriptor(doc) })
	if err != nil {
		t.Fatalf("parseDescriptor: %v", err)
	}
	if limit := uint64(len(doc)); got > limit {
		t.Fatalf("decoding allocated %d bytes for a %d-byte descriptor, want at most %d", got, len(doc), limit)
	}
}

// TestReview26DescriptorNotObject: a struct decodes from null without an
// error, so the refusal of a non-object must not depend on one.
func TestReview26DescriptorNotObject(t *testing.T) {
	for _, doc := range []string{`null`, ` null `, `[]`, `"x"`, `1`} {
		if _, err := parseDescriptor([]byte(doc)); !errors.Is(err, ErrMalformedJSON) {
			t.Errorf("%s: %v, want ErrMalformedJSON", doc, err)
		}
		if _, err := decodeStatement([]byte(doc)); !errors.Is(err, ErrMalformedJSON) {
			t.Errorf("statement %s: %v, want ErrMalformedJSON", doc, err)
		}
	}
	st := `{"_type":"` + StatementTypeV1 + `","predicateType":"x","predicate":{},"subject":[null]}`
	if _, err := ParseStatement([]byte(st)); !errors.Is(err, ErrMalformedJSON) {
		t.Errorf("subject null: %v, want ErrMalformedJSON", err)
	}
}
