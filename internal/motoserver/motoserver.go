// Package motoserver runs moto_server, the AWS API emulator lookout's integration tests use,
// on a free loopback port for the duration of a test, through the repository's launcher.py
// (which adds the APIs moto lacks).
//
// When moto is not installed, tests skip, except under CI=true where they fail: a CI run that
// silently skipped every AWS-facing test would prove nothing.
package motoserver

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

//go:embed launcher.py
var launcher []byte

// Server is a running moto_server.
type Server struct {
	URL  string
	cmd  *exec.Cmd
	logs *lockedBuffer
	dir  string // the launcher's temporary directory, removed by Stop
	mu   sync.Mutex
}

// lockedBuffer collects moto's output: the process writes it while a failing test may read it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// httpClient bounds every call the harness itself makes to moto (readiness, reset): a hung
// server fails the test instead of hanging it. The bound is generous because it is not a
// speed limit: on a loaded 2-core machine a reset of a large moto state has taken over 10 s.
var httpClient = &http.Client{Timeout: 90 * time.Second}

// Python is the interpreter used for the launcher; LOOKOUT_PYTHON overrides it.
func Python() string {
	if p := os.Getenv("LOOKOUT_PYTHON"); p != "" {
		return p
	}
	return "python3"
}

// Available reports whether moto can be started here, and why not.
func Available() error {
	if _, err := exec.LookPath("moto_server"); err != nil {
		return fmt.Errorf("moto_server is not on PATH (pip install 'moto[server]==5.2.1')")
	}
	out, err := exec.Command(Python(), "-c", "import moto.server").CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s cannot import moto.server: %v: %s", Python(), err, out)
	}
	return nil
}

// Require skips the test when moto is unavailable, or fails it under CI=true.
func Require(tb testing.TB) {
	tb.Helper()
	if err := Available(); err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("moto is required under CI=true: %v", err)
		}
		tb.Skipf("moto unavailable: %v", err)
	}
}

// Start launches moto_server on a free loopback port and stops it when the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	Require(tb)
	s, err := Launch()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Stop)
	return s
}

// Launch starts a server outside a test (for TestMain and benchmarks); call Stop.
func Launch() (*Server, error) {
	dir, err := os.MkdirTemp("", "lookout-moto-")
	if err != nil {
		return nil, err
	}
	script := filepath.Join(dir, "launcher.py")
	if err := os.WriteFile(script, launcher, 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		s := &Server{URL: "http://127.0.0.1:" + strconv.Itoa(port), logs: &lockedBuffer{}, dir: dir}
		s.cmd = exec.Command(Python(), script, strconv.Itoa(port))
		s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
		s.cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
		if err := s.cmd.Start(); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("starting moto launcher: %w", err)
		}
		if err := s.waitReady(20 * time.Second); err != nil {
			s.kill()
			lastErr = fmt.Errorf("%w\nmoto output:\n%s", err, s.logs.String())
			continue
		}
		return s, nil
	}
	os.RemoveAll(dir)
	return nil, lastErr
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	exited := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(exited) }()
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("moto_server exited before answering")
		default:
		}
		resp, err := httpClient.Get(s.URL + "/moto-api/data.json")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("moto_server did not answer within %s", timeout)
}

// RunShared runs a test package with one server shared by all its tests (a TestMain helper:
// os.Exit(motoserver.RunShared(m, &srv))). *shared stays nil when moto is unavailable, so tests
// must still call Require, which skips them, or fails them under CI=true. Tests Reset it.
func RunShared(m *testing.M, shared **Server) int {
	if Available() == nil {
		s, err := Launch()
		if err != nil {
			fmt.Fprintln(os.Stderr, "motoserver:", err)
			return 1
		}
		*shared = s
		defer s.Stop()
	}
	return m.Run()
}

// Stop ends the server and removes its temporary directory.
func (s *Server) Stop() {
	s.kill()
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

// kill ends the process only (a failed start retries in the same directory).
func (s *Server) kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		s.cmd = nil
	}
}

// Reset clears every backend, so one server can serve several tests in turn.
func (s *Server) Reset(tb testing.TB) {
	tb.Helper()
	resp, err := httpClient.Post(s.URL+"/moto-api/reset", "application/json", nil)
	if err != nil {
		tb.Fatalf("resetting moto: %v", err)
	}
	resp.Body.Close()
}

// Logs returns what moto printed, for failure messages.
func (s *Server) Logs() string { return s.logs.String() }

// Config returns an SDK configuration for account 123456789012 (moto's default) in region,
// pointed at the server, with retries capped so a 500 from an unimplemented API costs
// milliseconds, not seconds.
func (s *Server) Config(region string) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: aws.String(s.URL),
		Retryer: func() aws.Retryer {
			return retry.AddWithMaxAttempts(retry.NewStandard(), 1)
		},
	}
}

// Ctx returns a context bounded for one test's AWS traffic.
func Ctx(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	tb.Cleanup(cancel)
	return ctx
}

// UseAsDefault points the SDK default credential chain of the test's process at the server:
// fake static credentials, no shared config or credentials files, no instance metadata, and
// AWS_ENDPOINT_URL set to the server. Commands run in-process (root.Main) then talk to moto
// exactly as they would to AWS. Tests that put a proxy in front override AWS_ENDPOINT_URL.
func (s *Server) UseAsDefault(tb testing.TB) {
	tb.Setenv("AWS_ACCESS_KEY_ID", "testing")
	tb.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	tb.Setenv("AWS_SESSION_TOKEN", "")
	tb.Setenv("AWS_REGION", "us-east-1")
	tb.Setenv("AWS_PROFILE", "")
	tb.Setenv("AWS_CONFIG_FILE", filepath.Join(tb.TempDir(), "none"))
	tb.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(tb.TempDir(), "none"))
	tb.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	tb.Setenv("AWS_ENDPOINT_URL", s.URL)
}

// DefaultAccount is moto's account for unassumed credentials.
const DefaultAccount = "123456789012"
