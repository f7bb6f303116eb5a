package natswitness

import "testing"

// FuzzOriginOf: a subject names an origin only in the one form Subject
// writes, so no two subjects map to one origin.
func FuzzOriginOf(f *testing.F) {
	f.Add(Subject(DefaultSubjectPrefix, "example.com/ztci/audit/node-1"))
	f.Add(DefaultSubjectPrefix + ".ZXhhbXBsZQ==")
	f.Add(DefaultSubjectPrefix + ".a.b")
	f.Add("other.prefix.ZXhhbXBsZQ")
	f.Fuzz(func(t *testing.T, subject string) {
		o := originOf(DefaultSubjectPrefix, subject)
		if o != "" && Subject(DefaultSubjectPrefix, o) != subject {
			t.Fatalf("subject %q names origin %q, whose subject is %q", subject, o, Subject(DefaultSubjectPrefix, o))
		}
	})
}
