package root_test

// The command-line contract (shared/CONTRACT.md beside the clone: commands, flags, exit codes,
// formats) as testscript scripts, testdata/script/*.txtar, as age and gh keep theirs. Each
// script runs `lookout` as a process, the test binary re-executed as root.Main, on snapshot
// files: no AWS, no moto.

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/lookout-audit/lookout/internal/command/root"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"lookout": func() { os.Exit(root.Main(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

func TestScripts(t *testing.T) {
	demo, err := filepath.Abs("../../../fixtures/demo-org.json")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			e.Setenv("DEMO", demo) // the bundled demo organisation: 3 accounts, 3 regions, FAILs and PASSes
			// Nothing here may read AWS: no credentials, no instance metadata, and an endpoint
			// that refuses at once, so a script that collects by mistake fails fast.
			e.Setenv("AWS_EC2_METADATA_DISABLED", "true")
			e.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
			return nil
		},
		Cmds: map[string]func(*testscript.TestScript, bool, []string){"exits": exits},
	})
}

// exits CODE PROGRAM [ARGS...] runs PROGRAM as exec does (stdout and stderr are then those of
// the run) and fails unless it exits with CODE: `! exec` only says "not zero", and lookout's
// exit codes 1, 2 and 3 mean different things.
func exits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE program [args...] (no '!': the code says what is expected)")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: CODE %q is not a number", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			ts.Fatalf("exits: running %s: %v", args[1], err)
		}
		got = exit.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}
