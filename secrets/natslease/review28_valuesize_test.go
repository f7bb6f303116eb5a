package natslease_test

import (
	"bytes"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/ztci/ztci/internal/itest"
	"github.com/ztci/ztci/secrets"
	"github.com/ztci/ztci/secrets/natslease"
)

// The bucket New created took values up to the server's max payload (1 MB
// by default, up to 64 MB): anyone able to write to it could park
// megabyte "lease records" that every reaper's listing then buffered (a
// watcher holds 256 values) before refusing them. The bucket must refuse
// a value larger than any record it holds, while a maximal valid record
// still fits.
func TestReview28BucketRefusesOversizedValues(t *testing.T) {
	c := itest.StartNATSCluster(t, 1)
	js := connect(t, c.URLs())
	ctx := t.Context()
	bucket := fmt.Sprintf("size_%d", os.Getpid())
	reg, err := natslease.New(ctx, js, natslease.WithBucket(bucket), natslease.WithTimeout(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, bucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "l.AAAA", bytes.Repeat([]byte{'x'}, 512<<10)); err == nil {
		t.Error("the bucket stored a 512 KiB value under a lease key")
	}
	// A record whose every field is as long as allowed and JSON-escapes
	// to six bytes a byte is still stored and claimed.
	long := string(bytes.Repeat([]byte{'<'}, 2048))
	rec := secrets.LeaseRecord{LeaseID: long, Backend: long, Name: long, JobID: long, Identity: long, Owner: long,
		ExpiresAt: time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)}
	if err := reg.Register(ctx, rec); err != nil {
		t.Fatalf("a maximal record: %v", err)
	}
	cs, err := reg.Claim(ctx, long, time.Hour, 1)
	if err != nil || len(cs) != 1 {
		t.Fatalf("Claim of a maximal record: %d claims, %v", len(cs), err)
	}
}
