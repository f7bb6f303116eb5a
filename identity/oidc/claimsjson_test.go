package oidc

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/ztci/ztci/internal/strictjson"
)

// claimsSeeds are payloads inside and just outside the fast path's plain
// shape.
var claimsSeeds = []string{
	`{"iss":"https://ci.test","sub":"repo:o/r:ref:refs/heads/main","aud":["aud","x"],"exp":1795350954,"nbf":0,"ref_protected":"true"}`,
	` { "a" : [ ] , "b" : [ 1 , "x" , true , false , null ] , "c" : null } `,
	`{}`, `{ }`, `null`, `[]`, `"x"`, `1`, ``, `{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{,}`,
	`{"a":1}x`, `{"a":1} {}`, `{"a":01}`, `{"a":-1}`, `{"a":1.5}`, `{"a":1e3}`, `{"a":1E3}`,
	`{"a":999999999999999}`, `{"a":9999999999999999}`, `{"a":12345678901234567890}`,
	`{"a":"\u0041"}`, `{"\u0061":1}`, `{"a":"\n"}`, "{\"a\":\"\t\"}", "{\"a\":\"\xff\"}", `{"a":"é"}`,
	`{"a":1,"a":"two"}`, `{"A":1,"a":2}`, `{"a":{"b":1}}`, `{"a":[[1]]}`, `{"a":[{}]}`,
	`{"a":tru}`, `{"a":truex}`, `{"a":nul}`, `{"a":[1,]}`, `{"a":[,1]}`, `{"a":[1 2]}`,
	"\ufeff{}", "{\"a\":1}\x00", `{"":""}`, `{"a":"b"` + "\v" + `}`,
	// Ambiguous member names: refused on both paths.
	`{"ISS":"https://evil.test"}`, `{"iss":"a","Iss":"b"}`, `{"sub":"a","\u0073ub":"b"}`, "{\"\u017fub\":\"x\"}",
	`{"a":{"b":1,"B":2}}`, `{"a":[{"x":1,"x":2}]}`, `{"Repository":"x"}`,
}

func TestDecodeClaimsMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, s := range claimsSeeds {
		t.Run(s, func(t *testing.T) {
			t.Parallel()
			checkDecodeClaims(t, []byte(s))
		})
	}
}

func TestDecodeClaimsTakesFastPathForJobTokens(t *testing.T) {
	t.Parallel()
	payload, err := json.Marshal(goodClaims())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := decodePlainClaims(payload); !ok {
		t.Fatalf("plain job token payload %s fell back to encoding/json", payload)
	}
}

// FuzzDecodeClaims checks that decodeClaims rejects exactly the payloads
// strictjson.Check or json.Unmarshal into a map[string]any rejects, decodes
// the others as encoding/json does, and that its fast path accepts only payloads encoding/json accepts.
func FuzzDecodeClaims(f *testing.F) {
	for _, s := range claimsSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(checkDecodeClaims)
}

func checkDecodeClaims(t *testing.T, payload []byte) {
	var want map[string]any
	wantErr := strictjson.Check(payload, registeredClaims[:]...)
	if wantErr == nil {
		wantErr = json.Unmarshal(payload, &want)
	}
	got, err := decodeClaims(payload)
	if errors.Is(wantErr, strictjson.ErrAmbiguous) != errors.Is(err, ErrAmbiguousJSON) {
		t.Fatalf("decodeClaims(%q) error %v, want ErrAmbiguousJSON exactly when strictjson says %v", payload, err, wantErr)
	}
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("decodeClaims(%q) error %v, encoding/json error %v", payload, err, wantErr)
	}
	// On an error encoding/json may leave a partly filled map; only the
	// error matters to the verifier then.
	if wantErr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("decodeClaims(%q) = %#v, encoding/json gives %#v", payload, got, want)
	}
	if fast, ok := decodePlainClaims(payload); ok && (wantErr != nil || !reflect.DeepEqual(fast, want)) {
		t.Fatalf("fast path decoded %q as %#v, encoding/json gives %#v (error %v)", payload, fast, want, wantErr)
	}
}

// headerSeeds are JOSE headers inside and just outside the fast path.
var headerSeeds = []string{
	`{"alg":"ES256","kid":"qLJ0ySjFAAf6Z8Q5Fz8kGpBV2GxvVZLq8fMmf8VdNEI","typ":"JWT"}`,
	`{"alg":"RS256","kid":"k","typ":"JWT","x5t":"abc"}`, `{"alg":"ES256","x":[1,"a"],"y":null,"z":true}`,
	`{}`, `null`, `{"alg":1}`, `{"alg":null}`, `{"alg":"ES256","alg":null}`, `{"alg":["ES256"]}`,
	`{"ALG":"ES256"}`, `{"Kid":"k"}`, `{"TYP":"at+jwt"}`, `{"alg":"ES256","jwk":{}}`, `{"alg":"ES256","JKU":"u"}`,
	`{"alg":"ES256","x5c":["a"]}`, `{"alg":"ES256","crit":["b64"],"b64":false}`, `{"alg":"ES256","X5U":null}`,
	`{"alg":"ES256","kıd":"k"}`, "{\"alg\":\"ES256\",\"\u212aid\":\"k\"}", `{"alg":"ES\u0032\u0035\u0036"}`,
	`{"alg":"ES256","nested":{"a":1}}`, `{"alg":"ES256","kid":"a","kid":"b"}`, `{"alg":"ES256","x5t":"a","x5t":"b"}`,
	`{"alg":"ES256","KID":"k","kid":"j"}`, `{"alg":"ES256","\u006bid":"k","kid":"j"}`, `{"alg":"ES256","X5T#s256":"t"}`, `{"alg":"ES256"}x`, `{"alg":"ES256",}`, `{"alg" "ES256"}`,
}

func TestDecodeHeaderMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, s := range headerSeeds {
		t.Run(s, func(t *testing.T) {
			t.Parallel()
			checkDecodeHeader(t, []byte(s))
		})
	}
}

func TestDecodeHeaderTakesFastPathForJobTokens(t *testing.T) {
	t.Parallel()
	for _, s := range headerSeeds[:3] {
		if !decodePlainObject([]byte(s), func(string, any) bool { return true }) {
			t.Errorf("plain header %s is outside the fast path's shape", s)
		}
	}
}

// FuzzDecodeHeader checks that decodeHeader rejects exactly the headers
// strictjson.Check or json.Unmarshal into a header rejects and decodes the
// others as encoding/json does.
func FuzzDecodeHeader(f *testing.F) {
	for _, s := range headerSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(checkDecodeHeader)
}

func checkDecodeHeader(t *testing.T, b []byte) {
	var want, got header
	wantErr := strictjson.Check(b, registeredHeader[:]...)
	if wantErr == nil {
		wantErr = json.Unmarshal(b, &want)
	}
	err := decodeHeader(b, &got)
	if errors.Is(wantErr, strictjson.ErrAmbiguous) != errors.Is(err, ErrAmbiguousJSON) {
		t.Fatalf("decodeHeader(%q) error %v, want ErrAmbiguousJSON exactly when strictjson says %v", b, err, wantErr)
	}
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("decodeHeader(%q) error %v, encoding/json error %v", b, err, wantErr)
	}
	if wantErr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("decodeHeader(%q) = %+v, encoding/json gives %+v", b, got, want)
	}
}
