package secrets_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/ztci/ztci/identity"
	"github.com/ztci/ztci/secrets"
)

// A job gets a secret, uses it (its logs are masked), and loses it when the
// job ends.
func Example() {
	// The job's deadline: its timeout, never past its job token's expiry.
	// No lease is asked for or renewed past it, and the job's leases are
	// revoked when it passes, whatever the job is doing.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	red := secrets.NewRedactor()
	// For the example only: AllowNames gives deploy-token to any job, and
	// Static values never expire. In production, authorize on the job's
	// claims (policy.SecretsAuthorizer) and use a backend that issues
	// short-lived credentials (secrets/vault, secrets/postgres).
	backend := secrets.Static{"deploy-token": "tok-7f3a9c1e5b2d"}
	broker, err := secrets.New(secrets.AllowNames("deploy-token"), backend, secrets.WithMasker(red))
	if err != nil {
		panic(err)
	}
	logs := red.NewWriter(os.Stdout)
	defer logs.Close()

	who := identity.Identity{Issuer: "https://ci.example.com", Subject: "repo:octo/app:ref:refs/heads/main"}
	var lease *secrets.Lease
	err = broker.Run(ctx, secrets.JobSpec{ID: "run-42", Identity: who}, func(ctx context.Context, job *secrets.Job) error {
		var err error
		lease, err = job.Lease(ctx, "deploy-token")
		if err != nil {
			return err
		}
		v, err := lease.Value()
		if err != nil {
			return err
		}
		fmt.Fprintf(logs, "deploying with %s\n", v.Reveal()) // masked in the logs
		fmt.Fprintf(logs, "printed: %v\n", v)                // values print redacted
		return logs.Flush()
	})
	if err != nil {
		panic(err)
	}
	_, err = lease.Value()
	fmt.Println("after the job:", errors.Is(err, secrets.ErrRevoked))
	// Output:
	// deploying with ***
	// printed: [REDACTED]
	// after the job: true
}

// Values print as [REDACTED] everywhere; Reveal is explicit.
func ExampleValue() {
	v := secrets.NewValue("hunter2-hunter2")
	fmt.Printf("%v %+v %#v %q %x\n", v, v, v, v, v)
	fmt.Println(len(v.Reveal()))
	// Output:
	// [REDACTED] [REDACTED] [REDACTED] [REDACTED] [REDACTED]
	// 15
}

// The redactor masks a value in its encodings too, however the writes split
// it.
func ExampleRedactor() {
	red := secrets.NewRedactor()
	red.AddMask("s3cr3t-passw0rd")
	w := red.NewWriter(os.Stdout)
	basic := base64.StdEncoding.EncodeToString([]byte("ci:s3cr3t-passw0rd"))
	fmt.Fprintf(w, "raw: s3cr3t-")
	fmt.Fprintf(w, "passw0rd\n")
	fmt.Fprintf(w, "header: Authorization: Basic %s\n", basic)
	w.Close()
	fmt.Println(red.AddMaskChecked("short") != nil)
	// Output:
	// raw: ***
	// header: Authorization: Basic Y2k6***
	// true
}

// AddSecrets registers many secrets at once, building the matcher once
// rather than once per secret. A value too short to mask refuses only
// itself; the others are masked.
func ExampleRedactor_AddSecrets() {
	red := secrets.NewRedactor()
	err := red.AddSecrets(
		secrets.NamedSecret{Name: "db", Value: secrets.NewValue("db-passw0rd-7f3a")},
		secrets.NamedSecret{Name: "pin", Value: secrets.NewValue("1234")},
		secrets.NamedSecret{Name: "api", Value: secrets.NewValue("api-t0ken-9c1e5b")},
	)
	fmt.Println(errors.Is(err, secrets.ErrTooShort), red.Refused())
	w := red.NewWriter(os.Stdout)
	fmt.Fprintln(w, "db=db-passw0rd-7f3a api=api-t0ken-9c1e5b")
	fmt.Println(errors.Is(w.Close(), secrets.ErrTooShort))
	// Output:
	// true 1
	// db=*** api=***
	// true
}

// A value in a hex dump (hexdump -C, hex.Dump, od -tx1, xxd -p) is masked
// from its first hex digit to its last character in the ASCII column, the
// lines in between with it.
func ExampleRedactor_hexDump() {
	red := secrets.NewRedactor()
	red.AddMask("s3cr3t-passw0rd")
	w := red.NewWriter(os.Stdout)
	fmt.Fprint(w, hex.Dump([]byte("password=s3cr3t-passw0rd;")))
	if err := w.Close(); err != nil {
		panic(err)
	}
	// Output:
	// 00000000  70 61 73 73 77 6f 72 64  3d ***;|
}

// BackendFunc plugs in a vendor's own source, e.g. a cloud STS whose tokens
// simply expire.
func ExampleBackendFunc() {
	sts := secrets.BackendFunc(func(ctx context.Context, req secrets.Request) (secrets.Grant, error) {
		// exchange req.Token for a short-lived cloud credential here
		return secrets.Grant{Value: secrets.NewValue("sts-credential-for-" + req.JobID), TTL: 15 * time.Minute}, nil
	})
	broker, err := secrets.New(secrets.AllowNames("cloud"), sts) // AllowNames: any job; put policy in front in production
	if err != nil {
		panic(err)
	}
	who := identity.Identity{Issuer: "https://ci.example.com", Subject: "repo:octo/app"}
	err = broker.Run(context.Background(), secrets.JobSpec{ID: "run-7", Identity: who}, func(ctx context.Context, job *secrets.Job) error {
		l, err := job.Lease(ctx, "cloud")
		if err != nil {
			return err
		}
		fmt.Println(l.Name(), !l.ExpiresAt().IsZero())
		return nil
	})
	if err != nil { // the job failed, or its leases could not all be revoked
		panic(err)
	}
	// Output: cloud true
}

// An AuthorizerFunc adapts a policy engine; an error from it is a deny.
func ExampleAuthorizerFunc() {
	mainOnly := secrets.AuthorizerFunc(func(_ context.Context, req secrets.Request) (secrets.Decision, error) {
		if req.Identity.Claims.Ref != "refs/heads/main" {
			return secrets.Decision{Reason: "production secrets only for main"}, nil
		}
		return secrets.Decision{Allow: true}, nil
	})
	broker, err := secrets.New(mainOnly, secrets.Static{"prod": "prod-value-123456"})
	if err != nil {
		panic(err)
	}
	who := identity.Identity{Issuer: "https://ci.example.com", Subject: "pr", Claims: identity.Claims{Ref: "refs/pull/1/merge"}}
	err = broker.Run(context.Background(), secrets.JobSpec{ID: "pr-1", Identity: who}, func(ctx context.Context, job *secrets.Job) error {
		_, err := job.Lease(ctx, "prod")
		return err
	})
	var denied *secrets.DeniedError
	if errors.As(err, &denied) {
		fmt.Println("denied:", denied.Reason)
	}
	// Output: denied: production secrets only for main
}

// Recover revokes what a crashed process left in the lease record.
func ExampleBroker_Recover() {
	dir, err := os.MkdirTemp("", "leases")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	backend := secrets.Static{"db": "db-password-123456"}
	who := identity.Identity{Issuer: "https://ci.example.com", Subject: "repo:octo/app"}

	// AllowNames gives db to any job, for the example only: authorize on the
	// job's claims in production (policy.SecretsAuthorizer). The journal
	// directory is the broker's own (0700), never a shared one.
	crashed, err := secrets.New(secrets.AllowNames("db"), backend, secrets.WithJournal(dir))
	if err != nil {
		panic(err)
	}
	job, err := crashed.Begin(context.Background(), secrets.JobSpec{ID: "run-9", Identity: who})
	if err != nil {
		panic(err)
	}
	if _, err := job.Lease(context.Background(), "db"); err != nil {
		panic(err)
	}
	// ... the process dies without ending the job ...

	restarted, err := secrets.New(secrets.AllowNames("db"), backend, secrets.WithJournal(dir))
	if err != nil {
		panic(err)
	}
	n, err := restarted.Recover(context.Background())
	fmt.Println(n, err)
	// Output: 1 <nil>
}
