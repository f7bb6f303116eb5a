package itest

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// RekorV1 is a Rekor v1 server on Trillian started by [StartRekorV1].
type RekorV1 struct {
	// URL is the base URL of the API ("http://127.0.0.1:P").
	URL string
	// PublicKey is the log's signing key (a fresh ECDSA P-256 key: the
	// server's memory signer), PublicKeyPEM its PEM as the server serves it
	// at /api/v1/log/publicKey.
	PublicKey    crypto.PublicKey
	PublicKeyPEM []byte
}

// StartRekorV1 starts a complete Rekor v1 on 127.0.0.1: a private PostgreSQL
// ([StartPostgres]) holding Trillian's schema, Trillian's log server and log
// signer ($ZTCI_TRILLIAN_LOG_SERVER, $ZTCI_TRILLIAN_LOG_SIGNER, v1.8.0), a
// Redis ($ZTCI_REDIS_SERVER) as the search index behind
// /api/v1/index/retrieve, and rekor-server ($ZTCI_REKOR_V1_SERVER, v1.5.5,
// memory signer), which creates its tree on start. The schema is
// $ZTCI_TRILLIAN_PG_SCHEMA. .ci/install-servers.sh installs all of them; t
// is skipped when one is missing (see [Binary]). Everything is killed when
// the test ends.
//
// rekor-server also listens on *:2112 for metrics (hard-coded, and it
// ignores a failure to bind it), as the timestamp-authority server does,
// which exits when the port is taken: a TSA started while a Rekor v1 runs
// must wait for the port.
func StartRekorV1(t testing.TB) *RekorV1 {
	t.Helper()
	logServer := Binary(t, "ZTCI_TRILLIAN_LOG_SERVER")
	logSigner := Binary(t, "ZTCI_TRILLIAN_LOG_SIGNER")
	rekor := Binary(t, "ZTCI_REKOR_V1_SERVER")
	redis := Binary(t, "ZTCI_REDIS_SERVER")
	schema := Binary(t, "ZTCI_TRILLIAN_PG_SCHEMA")
	pg := StartPostgres(t, 100)

	psql := func(db string, args ...string) {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), filepath.Join(os.Getenv("ZTCI_POSTGRES_BIN"), "psql"),
			append([]string{"-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", strconv.Itoa(pg.Port), "-U", "postgres", "-d", db}, args...)...)
		cmd.Env = append(os.Environ(), "PGPASSWORD="+PostgresPassword)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("psql %v: %v\n%s", args, err, out)
		}
	}
	psql("postgres", "-c", "create database trillian")
	psql("trillian", "-f", schema)
	uri := fmt.Sprintf("postgresql:///trillian?host=127.0.0.1&port=%d&user=postgres&password=%s&sslmode=disable", pg.Port, PostgresPassword)

	rpc := FreePort(t)
	srv := Start(t, exec.Command(logServer, "--storage_system=postgresql", "--quota_system=postgresql", "--postgresql_uri="+uri,
		"--rpc_endpoint="+Addr(rpc), "--http_endpoint="+Addr(FreePort(t))))
	Start(t, exec.Command(logSigner, "--storage_system=postgresql", "--quota_system=postgresql", "--postgresql_uri="+uri,
		"--force_master", "--rpc_endpoint="+Addr(FreePort(t)), "--http_endpoint="+Addr(FreePort(t)),
		"--sequencer_interval=100ms", "--batch_size=100"))
	redisPort := FreePort(t)
	rd := Start(t, exec.Command(redis, "--bind", "127.0.0.1", "--port", strconv.Itoa(redisPort), "--save", "", "--appendonly", "no",
		"--dir", t.TempDir()))
	srv.WaitTCP(t, Addr(rpc), 60*time.Second)
	rd.WaitTCP(t, Addr(redisPort), 30*time.Second)

	port := FreePort(t)
	rk := Start(t, exec.Command(rekor, "serve",
		"--trillian_log_server.address=127.0.0.1", "--trillian_log_server.port="+strconv.Itoa(rpc),
		"--rekor_server.address=127.0.0.1", "--port="+strconv.Itoa(port), "--rekor_server.signer=memory",
		"--search_index.storage_provider=redis", "--redis_server.address=127.0.0.1", "--redis_server.port="+strconv.Itoa(redisPort),
		"--log_type=prod"))
	r := &RekorV1{URL: "http://" + Addr(port)}
	rk.WaitFor(t, 60*time.Second, func(ctx context.Context) bool {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.URL+"/api/v1/log/publicKey", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if err != nil || resp.StatusCode != http.StatusOK {
			return false
		}
		r.PublicKeyPEM = b
		return true
	})
	blk, _ := pem.Decode(r.PublicKeyPEM)
	if blk == nil {
		t.Fatalf("rekor public key is not PEM: %q", r.PublicKeyPEM)
	}
	key, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		t.Fatalf("rekor public key: %v", err)
	}
	r.PublicKey = key
	return r
}

// WaitIndexed waits until the search index lists at least n entries for the
// artifact whose SHA-256 is sum, and fails t after 30 s. rekor-server
// answers an upload before it writes the entry's index keys (it does so in a
// goroutine), so a search right after an upload may miss the entry: a test
// that looks an entry up by hash waits here first, as a client that looks
// up a fresh entry would retry.
func (r *RekorV1) WaitIndexed(t testing.TB, sum [32]byte, n int) {
	t.Helper()
	q := fmt.Sprintf(`{"hash":"sha256:%x"}`, sum)
	deadline := time.Now().Add(30 * time.Second)
	for {
		found, err := r.searchHash(t.Context(), q)
		if err == nil && found >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("rekor search index: %d entries for sha256:%x after 30s, want %d (last error: %v)", found, sum, n, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (r *RekorV1) searchHash(ctx context.Context, query string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL+"/api/v1/index/retrieve", strings.NewReader(query))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var uuids []string
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&uuids); err != nil {
		return 0, fmt.Errorf("%s: %w", resp.Status, err)
	}
	return len(uuids), nil
}
