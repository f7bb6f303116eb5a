package audit

import (
	"errors"
	"strings"
	"testing"
)

// The webhook treats its endpoint's query and user info as credentials
// (?token=...) in String, in delivery errors and in redirect errors, but
// refusing a plain-http endpoint printed url.URL.Redacted, which masks only
// a password: the query's token, and a user name used as a token, went into
// the constructor's error, which a vendor logs at start-up.
func TestReview21WebhookConfigErrorsNeverPrintCredentials(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-t0ken"
	for _, endpoint := range []string{
		"http://collector.example.com/hook?token=" + secret,
		"http://collector.example.com/hook?x=1&" + secret,
		"http://collector.example.com/hook#" + secret,
		"http://10.0.0.7:8080/hook?access_token=" + secret,
		"ftp://collector.example.com/hook?token=" + secret,
		"https://" + secret + "@collector.example.com/hook",
		"https://" + secret + ":pw@collector.example.com/hook?token=" + secret,
		"http://[::1/hook?token=" + secret,
	} {
		w, err := NewWebhook(endpoint)
		if err == nil {
			w.Close()
			t.Errorf("NewWebhook accepted %q", endpoint)
			continue
		}
		if !errors.Is(err, ErrConfig) {
			t.Errorf("NewWebhook(%q) = %v, want ErrConfig", endpoint, err)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("NewWebhook error prints the endpoint's credential: %v", err)
		}
	}
}
