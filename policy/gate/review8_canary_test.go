package gate_test

import (
	"strings"
	"testing"

	"github.com/ztci/ztci/policy/gate"
)

// TestReview8DecodeRequestErrorsDoNotQuoteToken: a body the gate refuses
// never has its job token quoted in DecodeRequest's error (the k8s webhook
// and vendors' handlers may log it).
func TestReview8DecodeRequestErrorsDoNotQuoteToken(t *testing.T) {
	t.Parallel()
	const canary = "eyJ-CANARY-5a7d1e.payload-CANARY.sig-CANARY-0c9b"
	for name, body := range map[string]string{
		"duplicate":      `{"job_token":"` + canary + `","job_token":"` + canary + `"}`,
		"case variant":   `{"JOB_TOKEN":"` + canary + `"}`,
		"unknown member": `{"job_token":"` + canary + `","extra":"` + canary + `"}`,
		"trailing":       `{"job_token":"` + canary + `"} "` + canary + `"`,
		"bad escape":     `{"job_token":"` + canary + `\q"}`,
		"control char":   `{"job_token":"` + canary + "\x01" + `"}`,
		"not utf8":       `{"job_token":"` + canary + "\xff" + `"}`,
		"wrong type":     `{"job_token":["` + canary + `"]}`,
		"bad image":      `{"job_token":"` + canary + `","image":7}`,
		"truncated":      `{"job_token":"` + canary,
	} {
		_, err := gate.DecodeRequest([]byte(body))
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		for _, part := range append(strings.Split(canary, "."), canary) {
			if strings.Contains(err.Error(), part) {
				t.Errorf("%s: error quotes the token: %v", name, err)
				break
			}
		}
	}
}
