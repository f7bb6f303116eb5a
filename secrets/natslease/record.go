package natslease

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ztci/ztci/secrets"
)

// maxRecord bounds a lease record read from the bucket: seven fields of at
// most secrets.MaxLeaseField bytes, each JSON-escaped at most sixfold.
const maxRecord = 7*6*secrets.MaxLeaseField + 512

// Key prefixes inside the bucket.
const (
	leasePrefix = "l."
	ownerPrefix = "o."
	claimPrefix = "c."
)

// hashKey maps an id to a KV key token: the unpadded base64url SHA-256, so
// that any id is a valid key and keys have a fixed length.
func hashKey(prefix, id string) string {
	sum := sha256.Sum256([]byte(id))
	return prefix + base64.RawURLEncoding.EncodeToString(sum[:])
}

// wireLease is a lease record as stored under l.<hash of lease id>.
type wireLease struct {
	V         int       `json:"v"`
	LeaseID   string    `json:"lease_id"`
	Backend   string    `json:"backend"`
	Name      string    `json:"name"`
	JobID     string    `json:"job_id"`
	Identity  string    `json:"identity"`
	Owner     string    `json:"owner"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// Claimer is set by the reaper that holds the lease's claim.
	Claimer string `json:"claimer,omitempty"`
}

func encodeLease(rec secrets.LeaseRecord, claimer string) ([]byte, error) {
	return json.Marshal(wireLease{V: 1, LeaseID: rec.LeaseID, Backend: rec.Backend, Name: rec.Name, JobID: rec.JobID,
		Identity: rec.Identity, Owner: rec.Owner, ExpiresAt: rec.ExpiresAt, Claimer: claimer})
}

// errCorrupt marks a record that cannot be trusted.
var errCorrupt = errors.New("corrupt lease record")

// decodeLease parses the lease record stored under key (without the
// bucket prefix). Whoever can write to the bucket controls these bytes, so
// they are checked: at most a bounded size, exactly one JSON object of
// version 1 with known fields, a valid record ([secrets.LeaseRecord.Validate]),
// a valid claimer if any, and stored under the key its lease id hashes to
// (a record copied under another lease's key is refused). It returns the
// record and the claimer named in it.
func decodeLease(key string, data []byte) (secrets.LeaseRecord, string, error) {
	if len(data) > maxRecord {
		return secrets.LeaseRecord{}, "", fmt.Errorf("%w: %w: %d bytes", secrets.ErrBadLeaseRecord, errCorrupt, len(data))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var w wireLease
	if err := dec.Decode(&w); err != nil {
		return secrets.LeaseRecord{}, "", fmt.Errorf("%w: %w: %w", secrets.ErrBadLeaseRecord, errCorrupt, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return secrets.LeaseRecord{}, "", fmt.Errorf("%w: %w: trailing data", secrets.ErrBadLeaseRecord, errCorrupt)
	}
	if w.V != 1 {
		return secrets.LeaseRecord{}, "", fmt.Errorf("%w: %w: version %d", secrets.ErrBadLeaseRecord, errCorrupt, w.V)
	}
	rec := secrets.LeaseRecord{LeaseID: w.LeaseID, Backend: w.Backend, Name: w.Name, JobID: w.JobID,
		Identity: w.Identity, Owner: w.Owner, ExpiresAt: w.ExpiresAt}
	if err := rec.Validate(); err != nil {
		return secrets.LeaseRecord{}, "", err
	}
	if w.Claimer != "" {
		if err := secrets.CheckLeaseOwner(w.Claimer); err != nil {
			return secrets.LeaseRecord{}, "", err
		}
	}
	if hashKey(leasePrefix, rec.LeaseID) != key {
		return secrets.LeaseRecord{}, "", fmt.Errorf("%w: %w: stored under another lease's key", secrets.ErrBadLeaseRecord, errCorrupt)
	}
	return rec, w.Claimer, nil
}
