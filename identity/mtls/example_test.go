package mtls_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/svid/x509svid"

	"github.com/ztci/ztci/identity/mtls"
	"github.com/ztci/ztci/identity/svid"
)

// Two pipeline stages talk over mTLS: the deploy stage admits only the build
// stage; another workload is refused.
func Example() {
	ctx := context.Background()
	td := spiffeid.RequireTrustDomainFromString("ci.example.com")
	ca, err := svid.NewIssuer(td)
	if err != nil {
		panic(err)
	}
	build := spiffeid.RequireFromPath(td, "/job/build")
	deploy := spiffeid.RequireFromPath(td, "/job/deploy")

	deploySVID, err := ca.X509SVID(ctx, deploy, time.Time{})
	if err != nil {
		panic(err)
	}
	srvCfg, err := mtls.ServerConfig(deploySVID, ca, mtls.AuthorizeAll(mtls.AuthorizeMemberOf(td), mtls.AuthorizeID(build)))
	if err != nil {
		panic(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", srvCfg)
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			// A deadline, so a peer that never finishes its handshake does
			// not hold the server (production: a goroutine per connection).
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			if c.(*tls.Conn).Handshake() == nil {
				fmt.Fprint(c, "artifact accepted")
			}
			c.Close()
		}
	}()

	call := func(as spiffeid.ID) {
		s, err := ca.X509SVID(ctx, as, time.Time{})
		if err != nil {
			panic(err)
		}
		cfg, err := mtls.ClientConfig(s, ca, mtls.AuthorizeID(deploy))
		if err != nil {
			panic(err)
		}
		c, err := tls.Dial("tcp", ln.Addr().String(), cfg)
		if err != nil {
			fmt.Println(as.Path(), "refused")
			return
		}
		defer c.Close()
		msg, err := io.ReadAll(c)
		if err != nil {
			fmt.Println(as.Path(), "refused")
			return
		}
		fmt.Println(as.Path(), "->", string(msg))
	}
	call(build)
	call(spiffeid.RequireFromPath(td, "/job/untrusted"))
	// Output:
	// /job/build -> artifact accepted
	// /job/untrusted refused
}

// The deploy stage serves HTTP over a NewListener, so that a kept-alive
// connection ends when the client's SVID expires (or at WithMaxConnAge);
// each handler reads the authorised client's SPIFFE ID from the request.
func ExampleNewListener() {
	ctx := context.Background()
	td := spiffeid.RequireTrustDomainFromString("ci.example.com")
	ca, err := svid.NewIssuer(td)
	if err != nil {
		panic(err)
	}
	build := spiffeid.RequireFromPath(td, "/job/build")
	deploy := spiffeid.RequireFromPath(td, "/job/deploy")

	deploySVID, err := ca.X509SVID(ctx, deploy, time.Time{})
	if err != nil {
		panic(err)
	}
	srvCfg, err := mtls.ServerConfig(deploySVID, ca, mtls.AuthorizeID(build))
	if err != nil {
		panic(err)
	}
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	ln, err := mtls.NewListener(tcp, srvCfg, mtls.WithMaxConnAge(10*time.Minute))
	if err != nil {
		panic(err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, err := x509svid.IDFromCert(r.TLS.PeerCertificates[0])
			if err != nil {
				http.Error(w, "no SPIFFE ID", http.StatusForbidden)
				return
			}
			fmt.Fprintf(w, "deploy admitted %s", id)
		}),
		// A client that sends its headers a byte at a time, or never
		// finishes a request, does not hold a connection forever.
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(io.Discard, "", 0), // refused handshakes
	}
	go srv.Serve(ln)
	defer srv.Close()

	get := func(as spiffeid.ID) {
		s, err := ca.X509SVID(ctx, as, time.Time{})
		if err != nil {
			panic(err)
		}
		cfg, err := mtls.ClientConfig(s, ca, mtls.AuthorizeID(deploy))
		if err != nil {
			panic(err)
		}
		d, err := mtls.NewDialer(cfg)
		if err != nil {
			panic(err)
		}
		tr := &http.Transport{DialTLSContext: d.DialContext}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr}).Get("https://" + tcp.Addr().String() + "/")
		if err != nil {
			fmt.Println(as.Path(), "refused")
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		fmt.Println(string(body))
	}
	get(build)
	get(spiffeid.RequireFromPath(td, "/job/untrusted"))
	// Output:
	// deploy admitted spiffe://ci.example.com/job/build
	// /job/untrusted refused
}

// The build stage calls the deploy stage through an http.Transport whose
// DialTLSContext is a Dialer: its connections end when the server's SVID
// expires, and the transport dials and authorises again. A server other
// than the one the authorizer names is refused before any request is sent.
func ExampleNewDialer() {
	ctx := context.Background()
	td := spiffeid.RequireTrustDomainFromString("ci.example.com")
	ca, err := svid.NewIssuer(td)
	if err != nil {
		panic(err)
	}
	build := spiffeid.RequireFromPath(td, "/job/build")
	deploy := spiffeid.RequireFromPath(td, "/job/deploy")

	serve := func(as spiffeid.ID) (addr string, stop func() error) {
		s, err := ca.X509SVID(ctx, as, time.Time{})
		if err != nil {
			panic(err)
		}
		cfg, err := mtls.ServerConfig(s, ca, mtls.AuthorizeID(build))
		if err != nil {
			panic(err)
		}
		tcp, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			panic(err)
		}
		ln, err := mtls.NewListener(tcp, cfg)
		if err != nil {
			panic(err)
		}
		srv := &http.Server{
			Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				fmt.Fprint(w, "artifact accepted")
			}),
			ReadHeaderTimeout: 5 * time.Second, // no connection held open by a slow client
			ReadTimeout:       30 * time.Second,
			IdleTimeout:       time.Minute,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          log.New(io.Discard, "", 0), // refused handshakes
		}
		go srv.Serve(ln)
		return tcp.Addr().String(), srv.Close
	}
	deployAddr, stopDeploy := serve(deploy)
	defer stopDeploy()
	otherAddr, stopOther := serve(spiffeid.RequireFromPath(td, "/job/other"))
	defer stopOther()

	buildSVID, err := ca.X509SVID(ctx, build, time.Time{})
	if err != nil {
		panic(err)
	}
	cfg, err := mtls.ClientConfig(buildSVID, ca, mtls.AuthorizeID(deploy))
	if err != nil {
		panic(err)
	}
	d, err := mtls.NewDialer(cfg, mtls.WithMaxConnAge(10*time.Minute))
	if err != nil {
		panic(err)
	}
	tr := &http.Transport{DialTLSContext: d.DialContext}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}

	for _, addr := range []string{deployAddr, otherAddr} {
		resp, err := client.Post("https://"+addr+"/", "text/plain", strings.NewReader("artifact"))
		if err != nil {
			fmt.Println("refused:", errors.Is(err, mtls.ErrUnauthorized))
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		server, _ := x509svid.IDFromCert(resp.TLS.PeerCertificates[0])
		fmt.Printf("%s: %s\n", server, body)
	}
	// Output:
	// spiffe://ci.example.com/job/deploy: artifact accepted
	// refused: true
}
