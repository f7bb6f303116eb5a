package attest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/go-openapi/runtime"
	httptransport "github.com/go-openapi/runtime/client"
	"github.com/go-openapi/strfmt"
	retryablehttp "github.com/hashicorp/go-retryablehttp"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	rekortilespb "github.com/sigstore/rekor-tiles/v2/pkg/generated/protobuf"
	rekorgen "github.com/sigstore/rekor/pkg/generated/client"
	rekorutil "github.com/sigstore/rekor/pkg/util"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ztci/ztci/internal/bounded"
	"github.com/ztci/ztci/internal/origin"
)

// maxLogResponse bounds a transparency log's answer to an upload (rekor's
// v2 writer uses the same bound).
const maxLogResponse = 10 << 20

// pinnedClient is the HTTP client of a write to u (a timestamp request, a
// log upload): it reaches u's origin only, never follows a redirect (a
// 307 or 308 would re-send the body elsewhere, and whatever answered there
// would count as the server's answer), and reads at most maxLogResponse
// bytes of an answer within timeout.
func pinnedClient(u *url.URL, base http.RoundTripper, timeout time.Duration) *http.Client {
	return &http.Client{Transport: boundedBodies{origin.Pin(u, base)}, Timeout: timeout}
}

// errLogResponseTooLarge: an answer was longer than maxLogResponse.
var errLogResponseTooLarge = fmt.Errorf("answer larger than %d bytes", maxLogResponse)

// boundedBodies fails a read of an answer past maxLogResponse bytes.
type boundedBodies struct{ base http.RoundTripper }

func (t boundedBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err == nil {
		resp.Body = bounded.Body(resp.Body, maxLogResponse, errLogResponseTooLarge)
	}
	return resp, err
}

// newRekor returns sigstore-go's Rekor uploader for r with clients of our
// own: sigstore-go's (rekor's and rekor-tiles') follow redirects of the
// upload with Go's default policy and take no transport.
func (c *config) newRekor(r rekorConfig) *sign.Rekor {
	u, _ := url.Parse(r.url) // checked by WithRekor
	hc := pinnedClient(u, c.transport, c.timeout)
	opts := &sign.RekorOptions{BaseURL: r.url, Timeout: c.timeout, Retries: 1, Version: r.version}
	if r.version == 1 {
		opts.Client = rekorV1Client(u, hc).Entries
	} else {
		opts.ClientV2 = rekorV2Writer{base: u, hc: hc}
	}
	return sign.NewRekor(opts)
}

// rekorV1Client is rekor's client.GetRekorClient over hc: one retry of a
// failed request or a 5xx, as sigstore-go asks for, on the same origin.
func rekorV1Client(u *url.URL, hc *http.Client) *rekorgen.Rekor {
	rc := retryablehttp.NewClient()
	rc.HTTPClient, rc.RetryMax, rc.Logger = hc, 1, nil
	base := u.Path
	if base == "" {
		base = rekorgen.DefaultBasePath
	}
	rt := httptransport.NewWithClient(u.Host, base, []string{u.Scheme}, rc.StandardClient())
	rt.Consumers["application/json"] = runtime.JSONConsumer()
	rt.Consumers["application/x-pem-file"] = runtime.TextConsumer()
	rt.Producers["application/json"] = runtime.JSONProducer()
	formats := strfmt.NewFormats()
	formats.Add("signedCheckpoint", &rekorutil.SignedNote{}, rekorutil.SignedCheckpointValidator)
	return rekorgen.New(rt, formats)
}

// rekorV2Writer is rekor-tiles' write client (POST /api/v2/log/entries,
// 201 with the entry) over hc. An error answer is reported by its status
// only.
type rekorV2Writer struct {
	base *url.URL
	hc   *http.Client
}

func (w rekorV2Writer) Add(ctx context.Context, entry any) (*protorekor.TransparencyLogEntry, error) {
	h, ok := entry.(*rekortilespb.HashedRekordRequestV002)
	if !ok {
		return nil, fmt.Errorf("rekor v2: unsupported entry type %T", entry)
	}
	payload, err := protojson.Marshal(&rekortilespb.CreateEntryRequest{
		Spec: &rekortilespb.CreateEntryRequest_HashedRekordRequestV002{HashedRekordRequestV002: h},
	})
	if err != nil {
		return nil, fmt.Errorf("rekor v2: encode entry: %w", err)
	}
	endpoint := *w.base
	endpoint.Path = path.Join(endpoint.Path, "/api/v2/log/entries")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint.String(), bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("rekor v2: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("rekor v2: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return nil, fmt.Errorf("rekor v2: upload answered HTTP %d, want 201", resp.StatusCode)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("rekor v2: read answer: %w", err)
	}
	var tle protorekor.TransparencyLogEntry
	if err := protojson.Unmarshal(body, &tle); err != nil {
		return nil, fmt.Errorf("rekor v2: decode answer: %w", err)
	}
	return &tle, nil
}

// fulcioProvider is sigstore-go's Fulcio client with its error answers
// reported by status only: sigstore-go quotes the body ("Fulcio returned
// 401: <body>"), and a server (or proxy) that echoes the request puts the
// OIDC token in it.
type fulcioProvider struct {
	sign.CertificateProvider
	check certCheck
}

// ErrFulcio: Fulcio answered with an error status (see *FulcioStatusError).
var ErrFulcio = errors.New("attest: Fulcio refused the certificate request")

// FulcioStatusError is Fulcio's error answer. Its body is not kept.
type FulcioStatusError struct{ StatusCode int }

func (e *FulcioStatusError) Error() string {
	return fmt.Sprintf("%v: HTTP %d (answer withheld)", ErrFulcio, e.StatusCode)
}

// Unwrap returns ErrFulcio.
func (e *FulcioStatusError) Unwrap() error { return ErrFulcio }

func (p fulcioProvider) GetCertificate(ctx context.Context, kp sign.Keypair, opts *sign.CertificateProviderOptions) ([]byte, error) {
	der, err := p.CertificateProvider.GetCertificate(ctx, kp, opts)
	if err == nil {
		if err := p.check.check(der, kp.GetPublicKey()); err != nil {
			return nil, err
		}
		return der, nil
	}
	var code int
	if _, serr := fmt.Sscanf(err.Error(), "Fulcio returned %d:", &code); serr == nil {
		return nil, &FulcioStatusError{StatusCode: code}
	}
	if opts != nil && opts.IDToken != "" && strings.Contains(err.Error(), opts.IDToken) {
		// Another wording that still quotes what was sent.
		return nil, fmt.Errorf("%w: error withheld (it quoted the request)", ErrFulcio)
	}
	return nil, err
}
