package secrets

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Structured secrets. A secret registered as a whole JSON document (a GCP
// service-account key, a Docker config.json, an Azure SDK auth file, a
// kubeconfig in JSON) is printed member by member far more often than
// whole: jq -r .private_key, jq -r '.auths[].auth' | base64 -d, a tool
// that logs the token it read. Masking the document and its lines does not
// mask what a member decodes to (a PEM key's real line breaks are \n
// escapes in the document), so the members whose names mark them as secret
// material are registered too, under the document's name (see
// structuredMembers).
//
// Only names are trusted to say what is secret, never values: a name not
// listed in memberKindOf is never registered, so identifiers, emails, URIs
// and project ids, which sit in the same documents and occur all over a
// log, are never masked. A mask over them would hide ordinary log text and,
// worse, where the masks fall would tell a reader that text equals part of
// the secret.
const (
	// maxStructuredSize bounds the documents read: kubeconfigs with
	// embedded certificates and Docker configs with many registries are
	// tens of kilobytes.
	maxStructuredSize = 64 << 10
	// maxStructuredDepth bounds nesting, counting a document held in a
	// string (or in base64) of another as one level deeper.
	maxStructuredDepth = 16
	// maxStructuredMembers bounds the values one document adds: each costs
	// what registering a secret of its size costs.
	maxStructuredMembers = 64
)

// memberKind is how a secret member's string value is read.
type memberKind uint8

const (
	memberNone   memberKind = iota
	memberPlain             // the value is the secret
	memberBase64            // the value is standard base64 of the secret
	memberDocker            // Docker's "auth": base64 of "user:password"
)

// memberKindOf returns how the member called name holds secret material.
// Names are compared in lower case with '_', '-' and '.' dropped, so that
// private_key, privateKey and private-key are one name.
//
// Left out on purpose: identifiers (private_key_id, client_id, key ids:
// a key id is public, it is the kid of every JWT the key signs), identities
// and endpoints (client_email, username, *_uri, *_url, server), project,
// tenant and subscription ids, certificates (client-certificate-data,
// certificate-authority-data), file paths (kubeconfig's client-key,
// client-certificate, tokenFile), token_type, and "key", which names the
// key of a tag or label as often as a key ({"key": "environment"}).
func memberKindOf(name string) memberKind {
	n := strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || r == '.' {
			return -1
		}
		return r
	}, strings.ToLower(name))
	switch n {
	case "privatekey", "clientsecret", "password", "passphrase", "secret",
		"secretkey", "secretaccesskey", "sessiontoken", "token", "accesstoken",
		"refreshtoken", "idtoken", "identitytoken", "registrytoken", "apikey",
		"credential", "credentials":
		return memberPlain
	case "clientkeydata", "privatekeydata": // kubeconfig; GCP's keys.create response
		return memberBase64
	case "auth":
		return memberDocker
	}
	return memberNone
}

// structuredMembers returns the values to register with v, besides v
// itself, if v is a JSON object: the string values of its secret members
// (see memberKindOf) at any depth, what those decode to, and the same for
// documents held in string values. It returns nil for anything else,
// after a check of v's first byte for an ordinary secret.
//
// v must be valid UTF-8 and valid JSON as a whole, at most
// maxStructuredSize bytes: a value that only looks like a document is
// not walked. Values shorter than MinMaskLen, made of one repeated byte
// (a placeholder such as "********"), email addresses and URLs without a
// password are left out, whatever their member is called.
func structuredMembers(v string) []string {
	if !strings.HasPrefix(strings.TrimLeft(v, " \t\r\n"), "{") {
		return nil
	}
	w := memberWalk{seen: map[string]bool{v: true}}
	w.doc(v, 0)
	return w.out
}

// memberWalk collects the members of a document.
type memberWalk struct {
	out  []string
	seen map[string]bool
}

// doc walks v if it is a JSON object, at nesting depth.
func (w *memberWalk) doc(v string, depth int) {
	t := strings.TrimSpace(v)
	if !strings.HasPrefix(t, "{") || len(t) > maxStructuredSize || depth >= maxStructuredDepth ||
		!utf8.ValidString(t) || !json.Valid([]byte(t)) {
		return
	}
	dec := json.NewDecoder(strings.NewReader(t))
	dec.UseNumber()
	w.value(dec, memberNone, depth)
}

// value walks the next value of dec, the value of a member of kind, and
// reports whether dec could read it. A value past maxStructuredDepth is
// skipped, unread.
func (w *memberWalk) value(dec *json.Decoder, kind memberKind, depth int) bool {
	tok, err := dec.Token()
	if err != nil {
		return false
	}
	if depth >= maxStructuredDepth {
		return skip(dec, tok)
	}
	switch tok := tok.(type) {
	case string:
		w.member(tok, kind, depth)
	case json.Delim:
		obj := tok == '{'
		for dec.More() {
			k := memberNone
			if obj {
				name, err := dec.Token()
				if err != nil {
					return false
				}
				k = memberKindOf(name.(string))
			}
			if !w.value(dec, k, depth+1) {
				return false
			}
		}
		_, err = dec.Token() // the closing delimiter
	}
	return err == nil
}

// skip reads the rest of the value that tok starts.
func skip(dec *json.Decoder, tok json.Token) bool {
	for open := 0; ; {
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				open++
			} else {
				open--
			}
		}
		if open == 0 {
			return true
		}
		var err error
		if tok, err = dec.Token(); err != nil {
			return false
		}
	}
}

// member takes s, the string value of a member of kind, and walks it if it
// is a document itself (credentials held as a JSON string).
func (w *memberWalk) member(s string, kind memberKind, depth int) {
	switch kind {
	case memberPlain:
		w.add(s)
	case memberBase64:
		w.add(s)
		if d, ok := decodeText(s); ok {
			w.add(d)
			w.doc(d, depth+1) // GCP's privateKeyData is a key file
		}
	case memberDocker:
		// Only Docker's form: "auth" names too much else to register as
		// it is. The user name is not a secret and stays.
		if d, ok := decodeText(s); ok {
			if _, pass, ok := strings.Cut(d, ":"); ok && pass != "" {
				w.add(s)
				w.add(d)
				w.add(pass)
			}
		}
	}
	w.doc(s, depth+1)
}

// decodeText decodes s, standard base64 (padded), if it holds UTF-8 text.
func decodeText(s string) (string, bool) {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || !utf8.Valid(b) {
		return "", false
	}
	return string(b), true
}

// add keeps s unless it is short, not secret or already kept.
func (w *memberWalk) add(s string) {
	if len(w.out) >= maxStructuredMembers || w.seen[s] || !secretLike(s) {
		return
	}
	w.seen[s] = true
	w.out = append(w.out, s)
}

// secretLike reports whether s, the value of a secret member, can be
// masked as one: not shorter than MinMaskLen without the whitespace around
// it, not one byte repeated, not an email address and not a URL without a
// password. (Those occur in logs as they are, and a document that holds
// them under a secret's name holds a placeholder or a reference.)
func secretLike(s string) bool {
	t := strings.TrimSpace(s)
	if len(t) < MinMaskLen || strings.Count(t, t[:1]) == len(t) || isEmail(t) {
		return false
	}
	if u, err := url.Parse(t); err == nil && u.Scheme != "" && u.Host != "" {
		_, pass := u.User.Password()
		return pass
	}
	return true
}

// isEmail reports whether s has the shape of an email address: one '@',
// a local part of letters, digits and ._%+-, and a domain of dotted labels
// of letters, digits and '-' ending in at least two letters.
func isEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || !strings.Contains(domain, ".") {
		return false
	}
	for _, c := range []byte(local) {
		if !isAlnum(c) && !strings.ContainsRune("._%+-", rune(c)) {
			return false
		}
	}
	labels := strings.Split(domain, ".")
	for _, l := range labels {
		if l == "" || strings.Trim(l, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != "" {
			return false
		}
	}
	tld := labels[len(labels)-1]
	return len(tld) >= 2 && strings.Trim(tld, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") == ""
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
