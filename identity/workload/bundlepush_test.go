package workload_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/bundle/jwtbundle"
	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/workloadapi"

	"github.com/ztci/ztci/identity/svid"
	"github.com/ztci/ztci/identity/workload"
)

// bundleWatcher records every JWT bundle set go-spiffe's client receives.
type bundleWatcher struct{ got chan *jwtbundle.Set }

func (w bundleWatcher) OnJWTBundlesUpdate(s *jwtbundle.Set) { w.got <- s }
func (w bundleWatcher) OnJWTBundlesWatchError(error)        {}

func TestJWTBundleRotationReachesWatcher(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	iss, err := svid.NewIssuer(td)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "wl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	l, err := workload.Listen(filepath.Join(dir, "s"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := workload.NewServer(iss, workload.FixedID(spiffeid.RequireFromPath(td, "/job/a")), workload.WithBundleRefresh(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ctx, l)
	t.Cleanup(func() { srv.Close() })

	client, err := workloadapi.New(ctx, workloadapi.WithAddr("unix://"+filepath.Join(dir, "s")))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	w := bundleWatcher{got: make(chan *jwtbundle.Set, 16)}
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- client.WatchJWTBundles(wctx, w) }()
	defer func() { cancel(); <-done }()

	kids := func(s *jwtbundle.Set) map[string]bool {
		b, ok := s.Get(td)
		if !ok {
			t.Fatal("no bundle for the trust domain")
		}
		out := map[string]bool{}
		for kid := range b.JWTAuthorities() {
			out[kid] = true
		}
		return out
	}
	var first map[string]bool
	select {
	case s := <-w.got:
		first = kids(s)
	case <-time.After(10 * time.Second):
		t.Fatal("no first bundle")
	}
	if err := iss.RotateJWTKey(ctx, nil, "rotated-1"); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-w.got:
		got := kids(s)
		if !got["rotated-1"] || len(got) != len(first)+1 {
			t.Fatalf("after rotation: kids %v, want the new key beside %v", got, first)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("rotated key did not reach the watcher on its open stream")
	}
	// No change, no resend.
	select {
	case s := <-w.got:
		t.Fatalf("bundle sent again without a change: %v", kids(s))
	case <-time.After(200 * time.Millisecond):
	}
}
