package svid_test

import (
	"errors"
	"testing"

	"github.com/ztci/ztci/identity/svid"
)

// TestReview32ReserveNamespace: two token exchanges on one Issuer whose
// verifiers trust different token issuers, with one template, gave
// different repositories (gitlab.com's project 123 and a self-managed
// GitLab's) the same SPIFFE ID. The Issuer now keeps, per namespace (a
// path and everything below it), the one owner that may mint there, and
// refuses another owner a namespace at, above or below one it holds.
func TestReview32ReserveNamespace(t *testing.T) {
	t.Parallel()
	const a, b = "https://gitlab.com", "https://gitlab.acme.example"
	tests := []struct {
		name   string
		first  [2]string // prefix, owner
		second [2]string
		want   error
	}{
		{name: "same namespace other owner", first: [2]string{"/ci", a}, second: [2]string{"/ci", b}, want: svid.ErrNamespaceTaken},
		{name: "below other owner's", first: [2]string{"/ci", a}, second: [2]string{"/ci/gitlab", b}, want: svid.ErrNamespaceTaken},
		{name: "above other owner's", first: [2]string{"/ci/gitlab", a}, second: [2]string{"/ci", b}, want: svid.ErrNamespaceTaken},
		{name: "same owner twice", first: [2]string{"/ci", a}, second: [2]string{"/ci", a}},
		{name: "same owner below", first: [2]string{"/ci", a}, second: [2]string{"/ci/x", a}},
		{name: "sibling", first: [2]string{"/gitlab-com", a}, second: [2]string{"/gitlab-acme", b}},
		{name: "shared string prefix is not a path prefix", first: [2]string{"/ci", a}, second: [2]string{"/cix", b}},
		{name: "empty owner", first: [2]string{"/ci", a}, second: [2]string{"/x", ""}, want: svid.ErrConfig},
		{name: "empty prefix", first: [2]string{"/ci", a}, second: [2]string{"", b}, want: svid.ErrConfig},
		{name: "root prefix", first: [2]string{"/ci", a}, second: [2]string{"/", b}, want: svid.ErrConfig},
		{name: "dot segment", first: [2]string{"/ci", a}, second: [2]string{"/ci/../x", b}, want: svid.ErrConfig},
		{name: "trailing slash", first: [2]string{"/ci", a}, second: [2]string{"/ci/", b}, want: svid.ErrConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			iss, err := svid.NewIssuer(td)
			if err != nil {
				t.Fatal(err)
			}
			if err := iss.ReserveNamespace(tt.first[0], tt.first[1]); err != nil {
				t.Fatalf("first ReserveNamespace = %v", err)
			}
			err = iss.ReserveNamespace(tt.second[0], tt.second[1])
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Fatalf("second ReserveNamespace = %v; want %v", err, tt.want)
			}
			if errors.Is(err, svid.ErrNamespaceTaken) && !errors.Is(err, svid.ErrConfig) {
				t.Errorf("%v does not wrap ErrConfig", err)
			}
		})
	}
}
