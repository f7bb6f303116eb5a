package secrets_test

import (
	"testing"
)

// zshQuoted are values as zsh 5.9 quotes them (LC_ALL=C) with each of its
// quoting flags: ${(q)v} (a backslash before each special character,
// $'…' for what it cannot print), (qq) ('…' with '\” for a quote),
// (qqq) ("…"), (qqqq) ($'…'), (q-) (the least quoting, '…' only where
// needed) and (q+) (as q-, but $'…' with zsh's \C-x and \M-x for
// what it cannot print). Each value holds a quote, a space, a backslash,
// a newline or control and high bytes.
var zshQuoted = []struct{ flag, secret, form string }{
	{"q", "it's a\\b\nc-s3cr3t", "it\\'s\\ a\\\\b$'\\n'c-s3cr3t"},
	{"qq", "it's a\\b\nc-s3cr3t", "'it'\\''s a\\b\nc-s3cr3t'"},
	{"qqq", "it's a\\b\nc-s3cr3t", "\"it's a\\\\b\nc-s3cr3t\""},
	{"qqqq", "it's a\\b\nc-s3cr3t", "$'it\\'s a\\\\b\\nc-s3cr3t'"},
	{"q-", "it's a\\b\nc-s3cr3t", "it\\''s a\\b\nc-s3cr3t'"},
	{"q+", "it's a\\b\nc-s3cr3t", "$'it\\'s a\\\\b\\nc-s3cr3t'"},
	{"q", "'q-s3cr3t w0rd\\\n", "\\'q-s3cr3t\\ w0rd\\\\$'\\n'"},
	{"qq", "'q-s3cr3t w0rd\\\n", "''\\''q-s3cr3t w0rd\\\n'"},
	{"qqq", "'q-s3cr3t w0rd\\\n", "\"'q-s3cr3t w0rd\\\\\n\""},
	{"qqqq", "'q-s3cr3t w0rd\\\n", "$'\\'q-s3cr3t w0rd\\\\\\n'"},
	{"q-", "'q-s3cr3t w0rd\\\n", "\\''q-s3cr3t w0rd\\\n'"},
	{"q+", "'q-s3cr3t w0rd\\\n", "$'\\'q-s3cr3t w0rd\\\\\\n'"},
	{"q", "pa55 w0rd\\x'-s3cr3t", "pa55\\ w0rd\\\\x\\'-s3cr3t"},
	{"qq", "pa55 w0rd\\x'-s3cr3t", "'pa55 w0rd\\x'\\''-s3cr3t'"},
	{"qqq", "pa55 w0rd\\x'-s3cr3t", "\"pa55 w0rd\\\\x'-s3cr3t\""},
	{"qqqq", "pa55 w0rd\\x'-s3cr3t", "$'pa55 w0rd\\\\x\\'-s3cr3t'"},
	{"q-", "pa55 w0rd\\x'-s3cr3t", "'pa55 w0rd\\x'\\'-s3cr3t"},
	{"q+", "pa55 w0rd\\x'-s3cr3t", "'pa55 w0rd\\x'\\''-s3cr3t'"},
	{"q", "s3cr3t\x7f\x02[31m\x01\x80\x9b-pa55'w0rd", "s3cr3t$'\\177'$'\\002'\\[31m$'\\001'$'\\200'$'\\233'-pa55\\'w0rd"},
	{"qq", "s3cr3t\x7f\x02[31m\x01\x80\x9b-pa55'w0rd", "'s3cr3t\x7f\x02[31m\x01\x80\x9b-pa55'\\''w0rd'"},
	{"qqq", "s3cr3t\x7f\x02[31m\x01\x80\x9b-pa55'w0rd", "\"s3cr3t\x7f\x02[31m\x01\x80\x9b-pa55'w0rd\""},
	{"qqqq", "s3cr3t\x7f\x02[31m\x01\x80\x9b-pa55'w0rd", "$'s3cr3t\\177\\002[31m\\001\\200\\233-pa55\\'w0rd'"},
	{"q-", "s3cr3t\x7f\x02[31m\x01\x80\x9b-pa55'w0rd", "'s3cr3t\x7f\x02[31m\x01\x80\x9b-pa55'\\'w0rd"},
	{"q+", "s3cr3t\x7f\x02[31m\x01\x80\x9b-pa55'w0rd", "$'s3cr3t\\C-?\\C-B[31m\\C-A\\M-\\C-@\\M-\\C-[-pa55\\'w0rd'"},
}

// TestReview22ZshQuoted checks every zsh quoting form of a value, also
// right after an apostrophe the shell would not pair (a value starting
// with a quote is written \' there, and a reader that took the apostrophe
// to open '…' read the rest out of step) and after text with its own
// quote splices, in one write, byte by byte and split anywhere.
func TestReview22ZshQuoted(t *testing.T) {
	t.Parallel()
	for _, c := range zshQuoted {
		// An apostrophe right before the form may go with the mask (read
		// as the start of a quote splice), so it is passed as the form's.
		for _, p := range []struct{ pre, apos string }{
			{"v=", ""}, {"it's ", ""}, {"", "'"}, {"a", "'"},
			{"rm: cannot remove 'it'\\''s': No\ncouldn't: ", ""},
		} {
			t.Run(c.flag+"/"+p.pre+p.apos, func(t *testing.T) {
				t.Parallel()
				checkForm(t, form{secret: c.secret, encoder: "zsh ${(" + c.flag + ")v}", pre: p.pre, form: p.apos + c.form, post: "\n"}, "'$\"\\", 6, 1)
			})
		}
	}
}
