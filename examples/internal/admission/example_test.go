package admission_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"

	"github.com/ztci/ztci/examples/internal/admission"
)

// A Request's job token prints, logs and marshals as [REDACTED];
// EncodeRequest is the one place that writes it, for the client's body.
func ExampleEncodeRequest() {
	req := admission.Request{JobToken: admission.NewToken("eyJhbGciOi.secret.token"), Image: "registry.example/acme/app:v1"}
	fmt.Printf("%v %+v\n", req.JobToken, req.JobToken)
	redacted, _ := json.Marshal(req)
	fmt.Println(string(redacted))
	slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}})).Info("admit", "token", req.JobToken)
	body, _ := admission.EncodeRequest(req)
	fmt.Println(string(body))
	// Output:
	// [REDACTED] [REDACTED]
	// {"job_token":"[REDACTED]","image":"registry.example/acme/app:v1"}
	// level=INFO msg=admit token=[REDACTED]
	// {"job_token":"eyJhbGciOi.secret.token","image":"registry.example/acme/app:v1"}
}

// Response.Rules lists the rule ids behind a deny, for metrics and tests.
func ExampleResponse_Rules() {
	var resp admission.Response
	_ = json.Unmarshal([]byte(`{"allowed":false,"decision":"deny","violations":[
		{"rule":"deploy.unprotected_ref","message":"deploys run only from protected refs"},
		{"rule":"deploy.source_ref_not_allowed","message":"built from refs/heads/feature/x"}]}`), &resp)
	fmt.Println(resp.Allowed, resp.Decision, resp.Rules())
	// Output:
	// false deny [deploy.unprotected_ref deploy.source_ref_not_allowed]
}
