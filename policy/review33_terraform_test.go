package policy_test

import (
	"encoding/json"
	"testing"

	"github.com/ztci/ztci/policy"
)

// TestReview33TerraformPolicyVariableCondition: a bucket policy that lets in
// every principal is public unless a condition restricts it to something
// specific. An IAM policy variable ("${aws:PrincipalAccount}") in a
// condition's value is replaced by the request's own value, so
// StringEquals aws:PrincipalAccount "${aws:PrincipalAccount}" holds for every
// authenticated caller of any AWS account: it restricts nothing, and such a
// policy was allowed as restricted. A value that names something specific
// still restricts.
func TestReview33TerraformPolicyVariableCondition(t *testing.T) {
	t.Parallel()
	e := newConfigured(t, acmeConfig())
	bucket := func(cond map[string]any) policy.Input {
		pol, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
			"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": cond}}})
		if err != nil {
			t.Fatal(err)
		}
		return policy.Input{Action: policy.ActionTerraformApply, TerraformPlan: map[string]any{
			"format_version": "1.2",
			"resource_changes": []any{map[string]any{"address": "aws_s3_bucket.b", "type": "aws_s3_bucket",
				"provider_name": "registry.terraform.io/hashicorp/aws",
				"change":        map[string]any{"actions": []any{"create"}, "after": map[string]any{"bucket": "b", "policy": string(pol)}, "after_unknown": map[string]any{}}}},
		}}
	}
	for _, tc := range []struct {
		name string
		cond map[string]any
	}{
		{"principal account is itself", map[string]any{"StringEquals": map[string]any{"aws:PrincipalAccount": "${aws:PrincipalAccount}"}}},
		{"principal ARN is itself", map[string]any{"StringEquals": map[string]any{"aws:PrincipalArn": "${aws:PrincipalArn}"}}},
		{"user id is itself, among others", map[string]any{"StringEquals": map[string]any{"aws:userid": []any{"AIDAEXAMPLE", "${aws:userid}"}}}},
		{"org id is itself, ignoring case", map[string]any{"StringEqualsIgnoreCase": map[string]any{"aws:PrincipalOrgID": "${aws:PrincipalOrgID}"}}},
		{"source account from a variable in an ARN", map[string]any{"ArnLike": map[string]any{"aws:SourceArn": "arn:aws:cloudfront::${aws:SourceAccount}:distribution/E1"}}},
	} {
		wantDeny(t, e, tc.name, bucket(tc.cond), "terraform.public_bucket")
	}
	d, err := e.Evaluate(t.Context(), bucket(map[string]any{"StringEquals": map[string]any{"aws:PrincipalAccount": "111122223333"}}))
	if err != nil || !d.Allowed {
		t.Errorf("specific principal account: denied (%v, %v), want allowed", rules(d), err)
	}
}

// TestReview33TerraformS3AccessOnAllowedTypes: an operator lists
// aws_s3_object in allowed_types to upload files, or aws_s3_bucket_policy
// to manage a bucket's policy, not to make them public. The public ACL,
// grant and bucket policy rules read only aws_s3_bucket and
// aws_s3_bucket_acl, so an object with acl "public-read" or an AllUsers
// grant, a bucket policy resource letting in "*", or one whose policy is
// unknown until apply, was allowed as soon as its type was listed.
func TestReview33TerraformS3AccessOnAllowedTypes(t *testing.T) {
	t.Parallel()
	cfg := acmeConfig()
	cfg.Terraform.AllowedTypes = []string{"aws_s3_object", "aws_s3_bucket_object", "aws_s3_object_copy", "aws_s3_bucket_policy"}
	e := newConfigured(t, cfg)
	plan := func(typ string, after, unknown map[string]any) policy.Input {
		if unknown == nil {
			unknown = map[string]any{}
		}
		return policy.Input{Action: policy.ActionTerraformApply, TerraformPlan: map[string]any{
			"format_version": "1.2",
			"resource_changes": []any{map[string]any{"address": "module.site." + typ + ".x[\"a\"]", "type": typ,
				"provider_name": "registry.terraform.io/hashicorp/aws",
				"change":        map[string]any{"actions": []any{"create"}, "after": after, "after_unknown": unknown}}},
		}}
	}
	publicPolicy, err := json.Marshal(map[string]any{"Statement": []any{map[string]any{
		"Effect": "Allow", "Principal": map[string]any{"AWS": []any{"*"}}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}}})
	if err != nil {
		t.Fatal(err)
	}
	privatePolicy, err := json.Marshal(map[string]any{"Statement": []any{map[string]any{
		"Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}}})
	if err != nil {
		t.Fatal(err)
	}
	allUsers := []any{map[string]any{"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers", "permissions": []any{"READ"}}}
	for _, tc := range []struct {
		name string
		in   policy.Input
		rule string
	}{
		{"object public-read", plan("aws_s3_object", map[string]any{"bucket": "b", "key": "k", "acl": "Public-Read"}, nil), "terraform.public_bucket"},
		{"legacy object public-read-write", plan("aws_s3_bucket_object", map[string]any{"bucket": "b", "key": "k", "acl": "public-read-write"}, nil), "terraform.public_bucket"},
		{"object copy AllUsers grant", plan("aws_s3_object_copy", map[string]any{"bucket": "b", "key": "k", "grant": allUsers}, nil), "terraform.public_bucket"},
		{"object AllUsers grant", plan("aws_s3_object", map[string]any{"bucket": "b", "key": "k", "grant": allUsers}, nil), "terraform.public_bucket"},
		{"object acl unknown", plan("aws_s3_object", map[string]any{"bucket": "b", "key": "k"}, map[string]any{"acl": true}), "terraform.unknown_value"},
		{"bucket policy resource lets anyone in", plan("aws_s3_bucket_policy", map[string]any{"bucket": "b", "policy": string(publicPolicy)}, nil), "terraform.public_bucket"},
		{"bucket policy resource not JSON", plan("aws_s3_bucket_policy", map[string]any{"bucket": "b", "policy": "{"}, nil), "terraform.public_bucket"},
		{"bucket policy unknown until apply", plan("aws_s3_bucket_policy", map[string]any{"bucket": "b"}, map[string]any{"policy": true}), "terraform.unknown_value"},
	} {
		wantDeny(t, e, tc.name, tc.in, tc.rule)
	}
	for _, tc := range []struct {
		name string
		in   policy.Input
	}{
		{"private object", plan("aws_s3_object", map[string]any{"bucket": "b", "key": "k", "acl": "private", "content": "http://acs.amazonaws.com/groups/global/AllUsers"}, map[string]any{"etag": true})},
		{"object without ACL", plan("aws_s3_object", map[string]any{"bucket": "b", "key": "k", "acl": nil}, nil)},
		{"account-only bucket policy", plan("aws_s3_bucket_policy", map[string]any{"bucket": "b", "policy": string(privatePolicy)}, nil)},
	} {
		if d, err := e.Evaluate(t.Context(), tc.in); err != nil || !d.Allowed {
			t.Errorf("%s: denied (%v, %v), want allowed", tc.name, rules(d), err)
		}
	}
}
