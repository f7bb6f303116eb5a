package jsleader_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ztci/ztci/internal/itest"
	"github.com/ztci/ztci/internal/jsleader"
)

func TestDecode(t *testing.T) {
	for _, c := range []struct {
		name, answer string
		found        bool
		err          string
		seq          uint64
	}{
		{name: "message", answer: `{"message":{"subject":"a.b","seq":7,"data":"eA=="}}`, found: true, seq: 7},
		{name: "no message", answer: `{"error":{"code":404,"err_code":10037,"description":"no message found"}}`},
		{name: "other error", answer: `{"error":{"code":503,"err_code":10008,"description":"JetStream system temporarily unavailable"}}`, err: "JetStream error 503 (10008)"},
		{name: "empty answer", answer: `{}`, err: "no message"},
		{name: "not JSON", answer: `x`, err: "undecodable"},
		{name: "too large", answer: `{"message":{"data":"` + strings.Repeat("A", 2<<20) + `"}}`, err: "more than"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, found, err := jsleader.Decode([]byte(c.answer))
			switch {
			case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
				t.Fatalf("err %v, want %q", err, c.err)
			case c.err == "" && err != nil:
				t.Fatal(err)
			case found != c.found || m.Seq != c.seq:
				t.Fatalf("found %v %+v", found, m)
			}
			if c.found && (m.Subject != "a.b" || string(m.Data) != "x") {
				t.Fatalf("%+v", m)
			}
		})
	}
}

func TestAPIPrefix(t *testing.T) {
	for _, c := range []struct {
		o    jetstream.JetStreamOptions
		want string
	}{
		{jetstream.JetStreamOptions{}, "$JS.API."},
		{jetstream.JetStreamOptions{Domain: "hub"}, "$JS.hub.API."},
		{jetstream.JetStreamOptions{APIPrefix: "JS.acc.API"}, "JS.acc.API."},
		{jetstream.JetStreamOptions{APIPrefix: "JS.acc.API."}, "JS.acc.API."},
	} {
		if got := jsleader.APIPrefix(c.o); got != c.want {
			t.Errorf("%+v: %q, want %q", c.o, got, c.want)
		}
	}
}

// FuzzDecode: an answer never panics, and a found message comes with no
// error.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"message":{"subject":"a.b","seq":7,"data":"eA=="}}`))
	f.Add([]byte(`{"message":{"subject":"a.b","seq":7}}`))
	f.Add([]byte(`{"error":{"code":404,"err_code":10037,"description":"no message found"}}`))
	f.Add([]byte(`{"error":{"code":503,"err_code":10008,"description":"unavailable"},"message":{"seq":1}}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, found, err := jsleader.Decode(data); found && err != nil {
			t.Fatal("found with an error")
		}
	})
}

// TestLastMsgThroughImportedAPI runs a real nats-server where account JS
// holds the stream and account APP reaches its JetStream API only as
// imported under "JS.acc.API" (how a vendor shares one JetStream across
// accounts). LastMsg from APP must use that prefix: "$JS.API." has no
// responder there.
func TestLastMsgThroughImportedAPI(t *testing.T) {
	bin := itest.Binary(t, "ZTCI_NATS_SERVER")
	dir := t.TempDir()
	port := itest.FreePort(t)
	conf := filepath.Join(dir, "nats.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(`listen: %q
jetstream { store_dir: %q }
accounts {
  JS: {
    jetstream: enabled
    users: [{user: js, password: js}]
    exports: [{service: "$JS.API.>"}]
  }
  APP: {
    users: [{user: app, password: app}]
    imports: [{service: {account: JS, subject: "$JS.API.>"}, to: "JS.acc.API.>"}]
  }
}
`, itest.Addr(port), dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	p := itest.Start(t, exec.Command(bin, "-c", conf))
	p.WaitTCP(t, itest.Addr(port), 30*time.Second)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	owner := connect(t, "nats://js:js@"+itest.Addr(port))
	js, err := jetstream.New(owner)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "EV", Subjects: []string{"ev.>"}, AllowDirect: true}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"ev.a", "ev.b", "ev.a"} {
		if _, err := js.Publish(ctx, s, []byte("data of "+s)); err != nil {
			t.Fatal(err)
		}
	}

	app := connect(t, "nats://app:app@"+itest.Addr(port))
	imported, err := jetstream.NewWithAPIPrefix(app, "JS.acc.API")
	if err != nil {
		t.Fatal(err)
	}
	m, found, err := jsleader.LastMsg(ctx, imported, "EV", "ev.a")
	if err != nil || !found || m.Seq != 3 || m.Subject != "ev.a" || string(m.Data) != "data of ev.a" {
		t.Fatalf("ev.a: %+v %v %v", m, found, err)
	}
	if m, found, err := jsleader.LastMsg(ctx, imported, "EV", "ev.>"); err != nil || !found || m.Seq != 3 {
		t.Fatalf("ev.>: %+v %v %v", m, found, err)
	}
	if _, found, err := jsleader.LastMsg(ctx, imported, "EV", "ev.none"); err != nil || found {
		t.Fatalf("ev.none: found %v, err %v", found, err)
	}
	// The default prefix has no responder in APP: an error, never "none".
	plain, err := jetstream.New(app)
	if err != nil {
		t.Fatal(err)
	}
	if _, found, err := jsleader.LastMsg(ctx, plain, "EV", "ev.a"); err == nil || found {
		t.Fatalf("default prefix from APP: found %v, err %v", found, err)
	}
}

func connect(t *testing.T, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url, nats.Timeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}
