package egress_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"

	"github.com/ztci/ztci/audit"
	"github.com/ztci/ztci/policy/egress"
)

// The tests in this file drive real clients (curl, git) through the proxy,
// configured the way a runner configures a job: the proxy URL, with the
// job token as its password, in the standard environment variables.

func proxyURL(addr, token string) string { return "http://job:" + token + "@" + addr }

func need(t *testing.T, tool string) {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		t.Skipf("%s not installed (Debian: apt-get install %s)", tool, tool)
	}
}

// jobEnv is a job's environment: nothing of the test process but PATH.
func jobEnv(t *testing.T, proxy string) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"http_proxy=" + proxy, "https_proxy=" + proxy, "HTTPS_PROXY=" + proxy,
	}
}

func curl(t *testing.T, env []string, args ...string) (string, string, error) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "curl", append([]string{"-sS", "--max-time", "20"}, args...)...)
	cmd.Env = env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	return out.String(), errOut.String(), err
}

// headerLog records the headers destination servers received.
type headerLog struct {
	mu sync.Mutex
	h  []http.Header
}

func (l *headerLog) handler(body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.h = append(l.h, r.Header.Clone())
		l.mu.Unlock()
		_, _ = io.WriteString(w, body)
	})
}

func TestCurlThroughProxy(t *testing.T) {
	need(t, "curl")
	ca := newTestCA(t, "api.allowed.test", "evil.denied.test")
	var seen headerLog
	tlsAddr := ca.serveTLS(t, seen.handler("hello over tls\n"))
	plainAddr := servePlain(t, seen.handler("hello over http\n"))
	rec := &recorder{}
	res := hosts{"api.allowed.test": loopback, "evil.denied.test": loopback, "plain.allowed.test": loopback, "plain.denied.test": loopback}
	_, paddr := startProxy(t, testRules(t, port(t, tlsAddr), port(t, plainAddr)), rec, egress.WithResolver(res), internalLoopback())
	env := jobEnv(t, proxyURL(paddr, tokenA))
	tp, pp := fmt.Sprint(port(t, tlsAddr)), fmt.Sprint(port(t, plainAddr))

	t.Run("allowed https via CONNECT", func(t *testing.T) {
		out, errOut, err := curl(t, env, "--cacert", ca.pemPath, "https://api.allowed.test:"+tp+"/")
		if err != nil || out != "hello over tls\n" {
			t.Fatalf("curl: %v, stdout %q, stderr %q", err, out, errOut)
		}
		res := "egress:api.allowed.test:" + tp
		open := rec.waitFor(t, egress.ActionConnect, audit.OutcomeAllow, res, 1)[0]
		if open.Actor.ID != jobA.ID() || open.Attributes[egress.AttrRule] != "octo-app-allowed" || open.Attributes[egress.AttrMethod] != "CONNECT" {
			t.Errorf("open event: %+v", open)
		}
		closed := rec.waitFor(t, egress.ActionClose, audit.OutcomeSuccess, res, 1)[0]
		if closed.Actor.ID != jobA.ID() || closed.Attributes[egress.AttrBytesUp] == "0" || closed.Attributes[egress.AttrBytesDown] == "0" ||
			closed.Attributes[egress.AttrAddress] != "127.0.0.1" || closed.Attributes[egress.AttrConnID] != open.Attributes[egress.AttrConnID] {
			t.Errorf("close event: %+v", closed)
		}
		if _, ok := closed.Attributes[egress.AttrDuration]; !ok {
			t.Errorf("close event has no duration: %+v", closed)
		}
	})

	t.Run("denied https gets 403", func(t *testing.T) {
		_, errOut, err := curl(t, env, "--cacert", ca.pemPath, "https://evil.denied.test:"+tp+"/")
		if err == nil || !strings.Contains(errOut, "403") {
			t.Fatalf("curl: want CONNECT refused with 403, got err %v, stderr %q", err, errOut)
		}
		deny := rec.waitFor(t, egress.ActionConnect, audit.OutcomeDeny, "egress:evil.denied.test:"+tp, 1)[0]
		if deny.Actor.ID != jobA.ID() || deny.Attributes[egress.AttrRule] != egress.RuleDefaultDeny {
			t.Errorf("deny event: %+v", deny)
		}
	})

	t.Run("allowed plain http is forwarded without the token", func(t *testing.T) {
		out, errOut, err := curl(t, env, "http://plain.allowed.test:"+pp+"/x?y=1")
		if err != nil || out != "hello over http\n" {
			t.Fatalf("curl: %v, stdout %q, stderr %q", err, out, errOut)
		}
		rec.waitFor(t, egress.ActionClose, audit.OutcomeSuccess, "egress:plain.allowed.test:"+pp, 1)
	})

	// Review 27: curl --http2 offers h2c on an http:// URL, through a
	// proxy too; the proxy declines the offer (strips it) rather than
	// refusing the request with 501.
	t.Run("plain http with an h2c offer is forwarded", func(t *testing.T) {
		out, errOut, err := curl(t, env, "--http2", "http://plain.allowed.test:"+pp+"/x?y=1")
		if err != nil || out != "hello over http\n" {
			t.Fatalf("curl --http2: %v, stdout %q, stderr %q", err, out, errOut)
		}
	})

	t.Run("denied plain http names the rule", func(t *testing.T) {
		out, errOut, err := curl(t, env, "-D", "-", "http://plain.denied.test:"+pp+"/")
		if err != nil {
			t.Fatalf("curl: %v, stderr %q", err, errOut)
		}
		if !strings.Contains(out, "403 Forbidden") || !strings.Contains(out, egress.RuleDefaultDeny) ||
			!strings.Contains(out, egress.HeaderRule+": "+egress.RuleDefaultDeny) {
			t.Errorf("response: %q", out)
		}
	})

	t.Run("another job's token is refused", func(t *testing.T) {
		envB := jobEnv(t, proxyURL(paddr, tokenB))
		_, errOut, err := curl(t, envB, "--cacert", ca.pemPath, "https://api.allowed.test:"+tp+"/")
		if err == nil || !strings.Contains(errOut, "407") {
			t.Fatalf("curl with job B's token: want 407, got err %v, stderr %q", err, errOut)
		}
		ev := rec.waitFor(t, egress.ActionConnect, audit.OutcomeDeny, "egress:api.allowed.test:"+tp, 1)[0]
		if ev.Actor.ID != jobB.ID() || ev.Attributes[egress.AttrRule] != egress.RuleWrongJob {
			t.Errorf("event: %+v", ev)
		}
	})

	t.Run("no token is refused", func(t *testing.T) {
		_, errOut, err := curl(t, jobEnv(t, "http://"+paddr), "--cacert", ca.pemPath, "https://api.allowed.test:"+tp+"/")
		if err == nil || !strings.Contains(errOut, "407") {
			t.Fatalf("curl without token: want 407, got err %v, stderr %q", err, errOut)
		}
	})

	seen.mu.Lock()
	for _, h := range seen.h {
		if h.Get("Proxy-Authorization") != "" || h.Get("Proxy-Connection") != "" {
			t.Errorf("destination received proxy headers: %v", h)
		}
	}
	seen.mu.Unlock()
	assertNoCanary(t, rec)
}

// assertNoCanary fails if a token appears in any audit event.
func assertNoCanary(t *testing.T, rec *recorder) {
	t.Helper()
	for _, e := range rec.all() {
		b, err := audit.Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "CANARY") {
			t.Errorf("audit event contains a token: %s", b)
		}
	}
}

// TestGitCloneThroughProxy clones a repository served by git http-backend
// (smart HTTP) through the proxy, the way a job fetches its sources.
func TestGitCloneThroughProxy(t *testing.T) {
	need(t, "git")
	backend, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Fatal(err)
	}
	httpBackend := filepath.Join(strings.TrimSpace(string(backend)), "git-http-backend")
	if _, err := os.Stat(httpBackend); err != nil {
		t.Skipf("git-http-backend not found: %v", err)
	}
	root := t.TempDir()
	gitEnv := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + root, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.test", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.test"}
	run := func(dir string, env []string, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), "git", args...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	work := filepath.Join(root, "work")
	run(root, gitEnv, "init", "-q", "-b", "main", work)
	if err := os.WriteFile(filepath.Join(work, "README"), []byte("egress test\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run(work, gitEnv, "add", "README")
	run(work, gitEnv, "commit", "-q", "-m", "first")
	run(root, gitEnv, "clone", "-q", "--bare", work, filepath.Join(root, "srv", "app.git"))

	srvAddr := servePlain(t, &cgi.Handler{Path: httpBackend, Env: []string{
		"GIT_PROJECT_ROOT=" + filepath.Join(root, "srv"), "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_NOSYSTEM=1", "HOME=" + root,
	}})
	rec := &recorder{}
	_, paddr := startProxy(t, testRules(t, port(t, srvAddr)), rec,
		egress.WithResolver(hosts{"git.allowed.test": loopback, "git.denied.test": loopback}), internalLoopback())
	p := fmt.Sprint(port(t, srvAddr))

	env := append(jobEnv(t, proxyURL(paddr, tokenA)), "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0")
	dst := filepath.Join(root, "clone")
	run(root, env, "clone", "-q", "http://git.allowed.test:"+p+"/app.git", dst)
	b, err := os.ReadFile(filepath.Join(dst, "README"))
	if err != nil || string(b) != "egress test\n" {
		t.Fatalf("cloned README: %q, %v", b, err)
	}
	// git (libcurl) first asks without credentials, then answers the 407
	// challenge; every forwarded request is audited under job A.
	closes := rec.waitFor(t, egress.ActionClose, audit.OutcomeSuccess, "egress:git.allowed.test:"+p, 2)
	for _, e := range closes {
		if e.Actor.ID != jobA.ID() || e.Attributes[egress.AttrBytesDown] == "0" {
			t.Errorf("close event: %+v", e)
		}
	}

	cmd := exec.CommandContext(t.Context(), "git", "clone", "-q", "http://git.denied.test:"+p+"/app.git", filepath.Join(root, "denied"))
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "403") {
		t.Fatalf("clone of a denied host: want a 403 failure, got %v: %s", err, out)
	}
	rec.waitFor(t, egress.ActionConnect, audit.OutcomeDeny, "egress:git.denied.test:"+p, 1)
	assertNoCanary(t, rec)
}

// TestGoModuleDownloadThroughProxy has the Go command download a module
// from a module proxy (GOPROXY protocol over HTTPS with the test CA)
// through the egress proxy, as a job's `go build` does.
func TestGoModuleDownloadThroughProxy(t *testing.T) {
	// go test puts its own GOROOT/bin first in PATH.
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("go command not found: %v", err)
	}
	const modPath, version = "example.test/hello", "v1.0.0"
	src := t.TempDir()
	for name, body := range map[string]string{
		"go.mod":   "module " + modPath + "\n\ngo 1.22\n",
		"hello.go": "package hello\n\n// Hello greets.\nfunc Hello() string { return \"hello\" }\n",
	} {
		if err := os.WriteFile(filepath.Join(src, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var zipped bytes.Buffer
	if err := modzip.CreateFromDir(&zipped, module.Version{Path: modPath, Version: version}, src); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"/" + modPath + "/@v/list":                 []byte(version + "\n"),
		"/" + modPath + "/@v/" + version + ".info": []byte(`{"Version":"` + version + `","Time":"2026-01-01T00:00:00Z"}`),
		"/" + modPath + "/@v/" + version + ".mod":  []byte("module " + modPath + "\n\ngo 1.22\n"),
		"/" + modPath + "/@v/" + version + ".zip":  zipped.Bytes(),
	}
	ca := newTestCA(t, "mods.allowed.test")
	modAddr := ca.serveTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(b)
	}))
	rec := &recorder{}
	_, paddr := startProxy(t, testRules(t, port(t, modAddr)), rec, egress.WithResolver(hosts{"mods.allowed.test": loopback}), internalLoopback())

	home := t.TempDir()
	cmd := exec.CommandContext(t.Context(), goBin, "mod", "download", "-json", modPath+"@"+version)
	cmd.Dir = home
	cmd.Env = append(jobEnv(t, proxyURL(paddr, tokenA)),
		"HOME="+home, "GOPATH="+filepath.Join(home, "go"), "GOMODCACHE="+filepath.Join(home, "modcache"),
		"GOCACHE="+filepath.Join(home, "cache"), "GOENV=off", "GOTOOLCHAIN=local", "GOFLAGS=-modcacherw",
		"GOPROXY=https://mods.allowed.test:"+fmt.Sprint(port(t, modAddr)), "GOSUMDB=off", "GONOSUMDB=", "GOPRIVATE=",
		"SSL_CERT_FILE="+ca.pemPath)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go mod download: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), `"Version": "v1.0.0"`) || strings.Contains(string(out), `"Error"`) {
		t.Fatalf("go mod download output:\n%s", out)
	}
	res := "egress:mods.allowed.test:" + fmt.Sprint(port(t, modAddr))
	for _, e := range rec.waitFor(t, egress.ActionClose, audit.OutcomeSuccess, res, 1) {
		if e.Actor.ID != jobA.ID() || e.Attributes[egress.AttrMethod] != http.MethodConnect {
			t.Errorf("close event: %+v", e)
		}
	}
	assertNoCanary(t, rec)
}
