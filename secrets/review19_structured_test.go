package secrets_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/ztci/ztci/secrets"
)

// gcpKeyFields is a GCP service-account key file, fields in the order
// gcloud iam service-accounts keys create writes them.
type gcpKeyFields struct {
	Type                    string `json:"type"`
	ProjectID               string `json:"project_id"`
	PrivateKeyID            string `json:"private_key_id"`
	PrivateKey              string `json:"private_key"`
	ClientEmail             string `json:"client_email"`
	ClientID                string `json:"client_id"`
	AuthURI                 string `json:"auth_uri"`
	TokenURI                string `json:"token_uri"`
	AuthProviderX509CertURL string `json:"auth_provider_x509_cert_url"`
	ClientX509CertURL       string `json:"client_x509_cert_url"`
	UniverseDomain          string `json:"universe_domain"`
}

// review19Keys holds one fresh RSA key for every test (generating one
// takes a tenth of a second).
var review19Keys = sync.OnceValue(func() string {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
})

// gcpKey returns a GCP service-account key file holding a fresh RSA key,
// as gcloud writes it (two-space indent, the PEM's line breaks as \n), and
// its fields.
func gcpKey(tb testing.TB) (string, gcpKeyFields) {
	tb.Helper()
	f := gcpKeyFields{
		Type:                    "service_account",
		ProjectID:               "ztci-deploy-421337",
		PrivateKeyID:            "5f3c1e0d9b8a7f6e5d4c3b2a19081726354a6b7c",
		PrivateKey:              review19Keys(),
		ClientEmail:             "ci-deployer@ztci-deploy-421337.iam.gserviceaccount.com",
		ClientID:                "104729381726354819203",
		AuthURI:                 "https://accounts.google.com/o/oauth2/auth",
		TokenURI:                "https://oauth2.googleapis.com/token",
		AuthProviderX509CertURL: "https://www.googleapis.com/oauth2/v1/certs",
		ClientX509CertURL:       "https://www.googleapis.com/robot/v1/metadata/x509/ci-deployer%40ztci-deploy-421337.iam.gserviceaccount.com",
		UniverseDomain:          "googleapis.com",
	}
	doc, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	return string(doc) + "\n", f
}

// Docker config.json values: docker login writes "auth" as base64 of
// user:password; some tools write the password, or an identity token, too.
const (
	dockerUser     = "ci-robot"
	dockerPassword = "dckr_pat_Q8vJ2mZx7LkP4nRt9WcY1aBe"
	dockerToken    = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjaSJ9.c2lnbmF0dXJlLWJ5dGVz"
	dockerRegistry = "registry.example.com:5000"
)

var dockerAuth = base64.StdEncoding.EncodeToString([]byte(dockerUser + ":" + dockerPassword))

func dockerConfig() string {
	return `{
	"auths": {
		"` + dockerRegistry + `": {
			"auth": "` + dockerAuth + `"
		},
		"ghcr.io": {
			"username": "` + dockerUser + `",
			"password": "` + dockerPassword + `"
		},
		"https://index.docker.io/v1/": {
			"auth": "",
			"identitytoken": "` + dockerToken + `"
		}
	},
	"credsStore": "desktop",
	"currentContext": "default"
}`
}

// review19Redact writes in through a writer of r, whole and then a byte at
// a time, and returns what came out, failing if the two differ.
func review19Redact(t *testing.T, r *secrets.Redactor, in string) string {
	t.Helper()
	var whole, bytewise bytes.Buffer
	w := r.NewWriter(&whole)
	_, _ = io.WriteString(w, in)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w = r.NewWriter(&bytewise)
	for i := range len(in) {
		_, _ = w.Write([]byte{in[i]})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if whole.String() != bytewise.String() {
		t.Fatalf("whole and byte by byte differ:\n%q\n%q", whole.String(), bytewise.String())
	}
	return whole.String()
}

// review19Leaks reports whether out holds the 16 bytes in the middle of
// printed. (It never shows them: the tests' keys are fresh, but a failure
// should not teach anyone to print a secret.)
func review19Leaks(out, printed string) bool {
	m := len(printed) / 2
	return strings.Contains(out, printed[max(m-8, 0):min(m+8, len(printed))])
}

// jqRaw prints a member as jq -r does: the decoded string and a newline.
func jqRaw(s string) string { return s + "\n" }

// jqQuoted prints a member as jq without -r does: a JSON string.
func jqQuoted(s string) string {
	b, _ := json.Marshal(s)
	return string(b) + "\n"
}

// TestReview19GCPKeyMembers: a GCP service-account key registered whole
// (the GOOGLE_CREDENTIALS secret) leaked its private key through jq -r
// .private_key: the document's line holding the key has its line breaks
// as \n escapes, so no line of the PEM that jq prints was a registered
// form. Now the key is registered too, under the document's name, with
// every form an ordinary secret gets; nothing else of the file is.
func TestReview19GCPKeyMembers(t *testing.T) {
	t.Parallel()
	doc, f := gcpKey(t)
	r := secrets.NewRedactor()
	if err := r.AddSecret("gcp-sa", doc); err != nil {
		t.Fatal(err)
	}
	pemLines := strings.Split(strings.TrimSpace(f.PrivateKey), "\n")
	for _, c := range []struct{ name, out string }{
		{"jq -r .private_key", jqRaw(f.PrivateKey)},
		{"jq .private_key", jqQuoted(f.PrivateKey)},
		{"jq -r .private_key | sed -n 2p", pemLines[1] + "\n"},
		{"jq -r .private_key | tail -2", strings.Join(pemLines[len(pemLines)-2:], "\n") + "\n"},
		{"jq -r .private_key | openssl pkey (CRLF)", strings.ReplaceAll(f.PrivateKey, "\n", "\r\n")},
		{"jq -r .private_key | base64 -w0", base64.StdEncoding.EncodeToString([]byte(f.PrivateKey)) + "\n"},
		{"jq -r .private_key | xxd -p -c0", hex.EncodeToString([]byte(f.PrivateKey)) + "\n"},
		{"python urlencode", "key=" + url.QueryEscape(f.PrivateKey) + "\n"},
		{"jq -r .private_key | base64 | base64 -d", f.PrivateKey},
	} {
		out := review19Redact(t, r, "step: "+c.out+"done\n")
		if review19Leaks(out, c.out) || !strings.HasPrefix(out, "step: ") || !strings.HasSuffix(out, "done\n") {
			t.Errorf("%s: the private key survived, or more than it was masked", c.name)
		}
		for _, l := range pemLines[1 : len(pemLines)-1] {
			if strings.Contains(out, l[len(l)/4:len(l)*3/4]) {
				t.Errorf("%s: a line of the private key survived", c.name)
				break
			}
		}
	}
	// The identifiers, the account and the endpoints are not secret:
	// jq -r of each comes through as it is.
	for _, pub := range []string{f.ProjectID, f.PrivateKeyID, f.ClientEmail, f.ClientID, f.AuthURI, f.TokenURI, f.AuthProviderX509CertURL, f.ClientX509CertURL, f.Type, f.UniverseDomain} {
		if in := "value: " + jqRaw(pub); review19Redact(t, r, in) != in {
			t.Errorf("%q was masked", pub)
		}
	}
	// And the whole document still is.
	if out := review19Redact(t, r, doc); strings.Contains(out, f.ClientEmail) {
		t.Errorf("the document itself was not masked whole: %q", out)
	}
}

// TestReview19TokensNameTheDocument: a member is masked with the token of
// the document it came from, so the operator learns which secret leaked.
func TestReview19TokensNameTheDocument(t *testing.T) {
	t.Parallel()
	doc, f := gcpKey(t)
	var got []secrets.Occurrence
	r, err := secrets.NewTokenRedactor([]byte("0123456789abcdef0123"), "job-19", secrets.WithOccurrenceHook(func(o secrets.Occurrence) { got = append(got, o) }))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.AddSecrets(secrets.NamedSecret{Name: "gcp-sa", Value: secrets.NewValue(doc)}); err != nil {
		t.Fatal(err)
	}
	out := review19Redact(t, r, jqRaw(f.PrivateKey))
	if want := r.Token("gcp-sa") + "\n"; out != want {
		t.Errorf("the key is not masked by the document's token %q", want)
	}
	for _, o := range got {
		if o.Name != "gcp-sa" {
			t.Errorf("occurrence names %q", o.Name)
		}
	}
}

// TestReview19DockerConfigMembers: a Docker config.json registered whole
// (.dockerconfigjson, DOCKER_AUTH_CONFIG) leaked through jq -r
// '.auths[].auth' (the credential as docker sends it), | base64 -d
// (user:password) and a tool printing the password or identity token.
// Each is masked now; the user name, the registries and the credential
// store are not.
func TestReview19DockerConfigMembers(t *testing.T) {
	t.Parallel()
	r := secrets.NewRedactor()
	if err := r.AddSecret("docker", dockerConfig()); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, out, secret string }{
		{"jq -r '.auths[].auth'", jqRaw(dockerAuth), dockerAuth},
		{"jq -r '.auths[].auth' | base64 -d", dockerUser + ":" + dockerPassword + "\n", dockerPassword},
		{"cut -d: -f2", jqRaw(dockerPassword), dockerPassword},
		{"curl -v Authorization", "> Authorization: Basic " + dockerAuth + "\r\n", dockerAuth},
		{"jq -r .auths[].password", jqRaw(dockerPassword), dockerPassword},
		{"jq -r .auths[].identitytoken", jqRaw(dockerToken), dockerToken},
		{"printf %q", "pass=" + dockerPassword + "\n", dockerPassword},
	} {
		out := review19Redact(t, r, c.out)
		if strings.Contains(out, c.secret) || strings.Contains(out, dockerPassword) {
			t.Errorf("%s: %q", c.name, out)
		}
	}
	for _, pub := range []string{dockerUser, dockerRegistry, "https://index.docker.io/v1/", "desktop", "default"} {
		if in := "value: " + jqRaw(pub); review19Redact(t, r, in) != in {
			t.Errorf("%q was masked", pub)
		}
	}
}

// TestReview19AzureAndKubeconfig: an Azure SDK auth file leaked its
// clientSecret, and a kubeconfig in JSON its client key (base64 -d of
// client-key-data prints the PEM) and its token. The ids, the endpoints
// and the client certificate are not secret and are not masked.
func TestReview19AzureAndKubeconfig(t *testing.T) {
	t.Parallel()
	const clientSecret = "Xq8~Qm3.Zk7_Rt2-Vb9Lp4Wn6Jc1Hd5Fg0Sa"
	azure := `{
  "clientId": "8a3f2e71-4c5b-4d6e-9f80-1a2b3c4d5e6f",
  "clientSecret": "` + clientSecret + `",
  "subscriptionId": "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
  "tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47",
  "activeDirectoryEndpointUrl": "https://login.microsoftonline.com",
  "resourceManagerEndpointUrl": "https://management.azure.com/",
  "activeDirectoryGraphResourceId": "https://graph.windows.net/",
  "managementEndpointUrl": "https://management.core.windows.net/"
}`
	key := review19Keys()
	keyData := base64.StdEncoding.EncodeToString([]byte(key))
	certData := base64.StdEncoding.EncodeToString([]byte("-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2VydGlmaWNhdGUtaXMtcHVibGlj\n-----END CERTIFICATE-----\n"))
	const kubeToken = "sha256~k8sServiceAccountTokenValue0123456789"
	kube := `{"apiVersion":"v1","kind":"Config","clusters":[{"name":"prod","cluster":{"server":"https://10.0.0.1:6443","certificate-authority-data":"` + certData + `"}}],` +
		`"users":[{"name":"admin","user":{"client-certificate-data":"` + certData + `","client-key-data":"` + keyData + `"}},{"name":"ci","user":{"token":"` + kubeToken + `"}}],` +
		`"contexts":[{"name":"prod","context":{"cluster":"prod","user":"admin"}}],"current-context":"prod"}`
	r := secrets.NewRedactor()
	if err := r.AddSecrets(secrets.NamedSecret{Name: "azure", Value: secrets.NewValue(azure)}, secrets.NamedSecret{Name: "kubeconfig", Value: secrets.NewValue(kube)}); err != nil {
		t.Fatal(err)
	}
	pemLine := strings.Split(key, "\n")[5]
	for _, c := range []struct{ name, out, secret string }{
		{"jq -r .clientSecret", jqRaw(clientSecret), clientSecret},
		{"az login echo", "az login --service-principal -p '" + clientSecret + "'\n", clientSecret},
		{"jq -r '.users[0].user[\"client-key-data\"]'", jqRaw(keyData), keyData[100:140]},
		{"... | base64 -d", key, pemLine},
		{"kubectl config view --raw -o jsonpath token", jqRaw(kubeToken), kubeToken},
	} {
		if out := review19Redact(t, r, c.out); strings.Contains(out, c.secret) {
			t.Errorf("%s: %q", c.name, out)
		}
	}
	for _, pub := range []string{"8a3f2e71-4c5b-4d6e-9f80-1a2b3c4d5e6f", "72f988bf-86f1-41af-91ab-2d7cd011db47", "https://management.azure.com/", "https://10.0.0.1:6443", certData} {
		if in := "value: " + jqRaw(pub); review19Redact(t, r, in) != in {
			t.Errorf("%q was masked", pub)
		}
	}
}

// TestReview19StructuredConservative: only members whose names mark
// secret material are registered, and not every value of one: a value
// too short to mask, a placeholder of one repeated character, an email
// address or a URL without a password would mask ordinary log text and
// point a reader at it. A value that is not strictly one JSON object is
// not read as one; nothing below the depth bound is read; and none of it
// is a refusal.
func TestReview19StructuredConservative(t *testing.T) {
	t.Parallel()
	deep := `{"token":"top-level-token-0001","a":` + strings.Repeat(`{"a":`, 20) + `{"token":"below-the-bound-0002"}` + strings.Repeat("}", 20) + `,"secret":"after-the-deep-one-0003"}`
	docs := map[string]struct {
		doc     string
		masked  []string
		visible []string
	}{
		"generic names": {`{"key":"environment","value":"production","key_id":"AKIAIOSFODNN7EXAMPLE","name":"deploy-token-name","token_type":"Bearer-token"}`,
			nil, []string{"environment", "production", "AKIAIOSFODNN7EXAMPLE", "deploy-token-name", "Bearer-token"}},
		"not secret values": {`{"password":"********","secret":"ops-team@example.com","token":"https://vault.example.com/v1/secret","api_key":"short"}`,
			nil, []string{"********", "ops-team@example.com", "https://vault.example.com/v1/secret"}},
		"URL with a password": {`{"credentials":"https://bot:gh-pat-in-url-0003@github.com/org/repo.git"}`,
			[]string{"https://bot:gh-pat-in-url-0003@github.com/org/repo.git"}, nil},
		"auth not Docker's": {`{"auth":"kerberos-negotiate","mode":"strict"}`, nil, []string{"kerberos-negotiate"}},
		"trailing data":     {`{"token":"after-the-object-0004"} {"x":1}`, nil, []string{"after-the-object-0004"}},
		"not an object":     {`["token","array-member-0005"]`, nil, []string{"array-member-0005"}},
		"depth bound":       {deep, []string{"top-level-token-0001", "after-the-deep-one-0003"}, []string{"below-the-bound-0002"}},
		"nested document": {`{"GOOGLE_CREDENTIALS":"{\"refresh_token\":\"nested-refresh-0006\",\"client_id\":\"public-client-id-7\"}"}`,
			[]string{"nested-refresh-0006"}, []string{"public-client-id-7"}},
		"duplicate members": {`{"secret":"first-duplicate-0007","secret":"second-duplicate-0008"}`,
			[]string{"first-duplicate-0007", "second-duplicate-0008"}, nil},
	}
	for name, c := range docs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := secrets.NewRedactor()
			if err := r.AddSecret("doc", c.doc); err != nil {
				t.Fatal(err)
			}
			for _, v := range c.masked {
				if out := review19Redact(t, r, jqRaw(v)); out != secrets.Mask+"\n" {
					t.Errorf("%q not masked: %q", v, out)
				}
			}
			for _, v := range c.visible {
				if in := "value: " + jqRaw(v); review19Redact(t, r, in) != in {
					t.Errorf("%q was masked", v)
				}
			}
			if r.Refused() != 0 {
				t.Errorf("Refused() = %d", r.Refused())
			}
		})
	}
}

// TestReview19OrdinarySecretUnchanged: a value that is not a JSON object
// gets exactly the patterns it got before (the count is pinned from before
// structured secrets were read).
func TestReview19OrdinarySecretUnchanged(t *testing.T) {
	t.Parallel()
	r := secrets.NewRedactor()
	if err := r.AddSecret("db", "db-password-0123"); err != nil {
		t.Fatal(err)
	}
	r2 := secrets.NewRedactor()
	if err := r2.AddSecret("json-ish", `{"password": "not json at all`); err != nil {
		t.Fatal(err)
	}
	if got := [2]int{r.Patterns(), r2.Patterns()}; got != review19Patterns {
		t.Errorf("patterns %v, want %v", got, review19Patterns)
	}
}

// review19Patterns is what TestReview19OrdinarySecretUnchanged's values
// got before structured secrets were read, and the two each of them gained
// in review 21 (its upper-case and its reversed spelling; it is lower case).
var review19Patterns = [2]int{151, 251}

// BenchmarkReview19Register: registering an ordinary secret, which
// structured secrets must not slow down, and a GCP key, which now also
// registers its private key.
func BenchmarkReview19Register(b *testing.B) {
	doc, _ := gcpKey(b)
	for _, c := range []struct{ name, value string }{
		{"ordinary", "db-password-0123"},
		{"pem-key", review19Keys()},
		{"gcp-key", doc},
	} {
		b.Run(c.name, func(b *testing.B) {
			var r *secrets.Redactor
			for b.Loop() {
				r = secrets.NewRedactor()
				if err := r.AddSecret("s", c.value); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(r.Patterns()), "patterns")
		})
	}
}
