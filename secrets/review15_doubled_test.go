package secrets_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/ztci/ztci/secrets"
)

// TestReview15DoubledDollarPercent: a character doubled as its own escape
// was masked for quotes only. docker compose config writes a '$' of an
// interpolated value as "$$" (and Jenkins' credentials binding masks the
// doubled spelling for the same reason); systemd unit files, Python's
// configparser and printf formats write '%' as "%%". Until a fifteenth
// outside review those spellings came through whole.
func TestReview15DoubledDollarPercent(t *testing.T) {
	t.Parallel()
	const v = "pa$w0rd%Zq9vX2$x"
	r := secrets.NewRedactor()
	r.AddMask(v)
	for _, in := range []string{
		"services:\n  web:\n    environment:\n      DB_PASSWORD: " + strings.ReplaceAll(v, "$", "$$") + "\n",
		"Environment=TOKEN=" + strings.ReplaceAll(v, "%", "%%") + "\n",
	} {
		for _, chunks := range [][][]byte{{[]byte(in)}, bytewise(in)} {
			out := redactAll(t, r, chunks...)
			if !strings.Contains(out, secrets.Mask) || strings.Contains(out, "w0rd") {
				t.Fatalf("%q: %q", in, out)
			}
		}
	}
}

// TestRedactNotMaskedReview15 pins the forms a fifteenth outside review
// added to the documented list of what is not masked.
func TestRedactNotMaskedReview15(t *testing.T) {
	t.Parallel()
	const v = "pa$w0rd&Zq9vX2%x`y"
	r := secrets.NewRedactor()
	r.AddMask(v)
	reversed := []byte(v)
	slices.Reverse(reversed)
	for _, in := range []string{
		string(reversed[1:]) + string(reversed[:1]),          // reversal, rotated by a byte
		"ｐａ＄ｗ０ｒｄ＆Ｚｑ９ｖＸ２％ｘ｀ｙ",                                 // full-width
		strings.NewReplacer("&", "^&", "%", "%%").Replace(v), // cmd.exe
		strings.NewReplacer("$", "`$", "`", "``").Replace(v), // PowerShell
	} {
		if out := redactAll(t, r, []byte(in)); strings.Contains(out, secrets.Mask) {
			t.Errorf("%q is masked (%q); update the documented list", in, out)
		}
	}
}
