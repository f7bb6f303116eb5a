package secrets

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestParseJournal(t *testing.T) {
	t.Parallel()
	const head = `{"op":"job","job":"j1","actor":"iss#sub"}` + "\n"
	tests := []struct {
		name    string
		in      string
		want    []string // outstanding ids
		wantErr bool
	}{
		{name: "issued and revoked", in: head + `{"op":"issue","lease":"a","name":"db"}` + "\n" + `{"op":"revoke","lease":"a"}` + "\n"},
		{name: "bound to backend id", in: head + `{"op":"issue","lease":"a","name":"db"}` + "\n" + `{"op":"bind","lease":"a","backend_lease":"vault/x"}` + "\n", want: []string{"vault/x"}},
		{name: "torn last line ignored", in: head + `{"op":"issue","lease":"a","name":"db"}` + "\n" + `{"op":"revo`, want: []string{"a"}},
		{name: "no header", in: `{"op":"issue","lease":"a"}` + "\n", wantErr: true},
		{name: "unknown op", in: head + `{"op":"drop","lease":"a"}` + "\n", wantErr: true},
		{name: "unknown field", in: head + `{"op":"issue","lease":"a","value":"x"}` + "\n", wantErr: true},
		{name: "bind of unknown lease", in: head + `{"op":"bind","lease":"z","backend_lease":"y"}` + "\n", wantErr: true},
		{name: "empty: Begin cut short", in: ""},
		{name: "torn header: Begin cut short", in: `{"op":"job","jo`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st, err := parseJournal(t.Context(), strings.NewReader(tt.in), "x.leases", journalSealing{})
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				if !errors.Is(err, ErrJournal) {
					t.Fatalf("error %v does not wrap ErrJournal", err)
				}
				return
			}
			var got []string
			for _, p := range st.outstanding {
				got = append(got, p.id())
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("outstanding = %v, want %v", got, tt.want)
			}
		})
	}
}

// FuzzParseJournal: the lease record is read back after crashes and may be
// damaged; parsing must never panic, and what it accepts must be usable.
func FuzzParseJournal(f *testing.F) {
	f.Add([]byte(`{"op":"job","job":"j1","actor":"a"}` + "\n" + `{"op":"issue","lease":"a","name":"db"}` + "\n"))
	f.Add([]byte(`{"op":"job","job":"j1"}` + "\n" + `{"op":"issue","lease":"a"}` + "\n" + `{"op":"bind","lease":"a","backend_lease":"b"}` + "\n" + `{"op":"revoke","lease":"a"}` + "\n"))
	f.Add([]byte("\n\n{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := parseJournal(context.Background(), strings.NewReader(string(data)), "x.leases", journalSealing{})
		if err != nil {
			if !errors.Is(err, ErrJournal) {
				t.Fatalf("error %v does not wrap ErrJournal", err)
			}
			return
		}
		if st.job == "" && (len(st.outstanding) > 0 || st.lines > 0) {
			t.Fatal("accepted a record without a job holding lines")
		}
		for _, p := range st.outstanding {
			if p.id() == "" {
				t.Fatal("outstanding lease without an id")
			}
		}
	})
}
