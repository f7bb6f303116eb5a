package natslease

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ztci/ztci/internal/jsleader"
	"github.com/ztci/ztci/secrets"
)

func validRecord() secrets.LeaseRecord {
	return secrets.LeaseRecord{LeaseID: "ztci_0a1b", Backend: "postgres", Name: "db/ci", JobID: "run-1",
		Identity: "spiffe://ci.example.com/runner", Owner: "host-1", ExpiresAt: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
}

// FuzzDecodeLease: whatever the bucket holds, decodeLease either refuses it
// with ErrBadLeaseRecord or returns a valid record stored under its own
// key, and a decoded record re-encodes to an equal one.
func FuzzDecodeLease(f *testing.F) {
	rec := validRecord()
	good, _ := encodeLease(rec, "")
	claimed, _ := encodeLease(rec, "reaper-1")
	key := hashKey(leasePrefix, rec.LeaseID)
	f.Add(key, good)
	f.Add(key, claimed)
	f.Add(hashKey(leasePrefix, "other"), good)
	f.Add(key, []byte(`{"v":2}`))
	f.Add(key, []byte(`{"v":1,"lease_id":"ztci_0a1b","extra":1}`))
	f.Add(key, append(good, []byte(` {}`)...))
	f.Add(key, []byte(strings.Replace(string(good), `"db/ci"`, `"db\n"`, 1)))
	f.Add(key, []byte(`null`))
	f.Add(key, []byte{})
	f.Fuzz(func(t *testing.T, key string, data []byte) {
		rec, claimer, err := decodeLease(key, data)
		if err != nil {
			if !errors.Is(err, secrets.ErrBadLeaseRecord) {
				t.Fatalf("error not ErrBadLeaseRecord: %v", err)
			}
			return
		}
		if err := rec.Validate(); err != nil {
			t.Fatalf("decoded an invalid record: %v", err)
		}
		if hashKey(leasePrefix, rec.LeaseID) != key {
			t.Fatal("decoded a record stored under another key")
		}
		again, err := encodeLease(rec, claimer)
		if err != nil {
			t.Fatal(err)
		}
		rec2, claimer2, err := decodeLease(key, again)
		if err != nil || rec2.LeaseID != rec.LeaseID || rec2.Owner != rec.Owner || !rec2.ExpiresAt.Equal(rec.ExpiresAt) || claimer2 != claimer {
			t.Fatalf("round trip: %+v %q %v", rec2, claimer2, err)
		}
	})
}

// FuzzDecodeHeartbeat: a JetStream answer never panics, and only a message
// for the asked subject with data counts as a live heartbeat.
func FuzzDecodeHeartbeat(f *testing.F) {
	const subj = "$KV.b.o.x"
	f.Add([]byte(`{"message":{"subject":"$KV.b.o.x","seq":3,"data":"eyJvd25lciI6ImgifQ=="}}`))
	f.Add([]byte(`{"message":{"subject":"$KV.b.o.x","seq":3}}`))
	f.Add([]byte(`{"message":{"subject":"$KV.b.o.y","seq":3,"data":"eA=="}}`))
	f.Add([]byte(`{"error":{"code":404,"err_code":10037,"description":"no message found"}}`))
	f.Add([]byte(`{"error":{"code":503,"err_code":10008,"description":"JetStream system temporarily unavailable"}}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`x`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, found, err := jsleader.Decode(data)
		if err != nil {
			return
		}
		alive, err := heartbeat(m, found, subj)
		if alive && (err != nil || m.Subject != subj || len(m.Data) == 0) {
			t.Fatalf("alive from %q: %+v %v", data, m, err)
		}
	})
}
