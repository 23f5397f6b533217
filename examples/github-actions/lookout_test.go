// Package githubactions holds the example GitHub Actions workflow; its tests keep the workflow
// valid (actionlint) and in step with lookout's real command line.
package githubactions

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/lookout-audit/lookout/internal/command/root"
	"github.com/lookout-audit/lookout/internal/command/scancmd"
)

const workflowFile = "lookout.yml"

// actionlintVersion is the actionlint release the workflow is checked with.
const actionlintVersion = "v1.7.12"

type workflow struct {
	On          map[string]any    `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Jobs        map[string]struct {
		Permissions map[string]string `yaml:"permissions"`
		Steps       []struct {
			ID   string            `yaml:"id"`
			Name string            `yaml:"name"`
			If   string            `yaml:"if"`
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func load(t *testing.T) (*workflow, []byte) {
	t.Helper()
	data, err := os.ReadFile(workflowFile)
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	if err := yaml.Unmarshal(data, &w); err != nil {
		t.Fatalf("%s: %v", workflowFile, err)
	}
	return &w, data
}

// The workflow does what the README promises: scheduled, OIDC with a role, SARIF uploaded
// only for a complete scan, a step summary, and a gate on high findings.
func TestWorkflowShape(t *testing.T) {
	w, _ := load(t)
	if _, ok := w.On["schedule"]; !ok {
		t.Error("no schedule trigger")
	}
	if w.Permissions["contents"] != "read" || len(w.Permissions) != 1 {
		t.Errorf("workflow permissions %v, want contents: read only", w.Permissions)
	}
	job, ok := w.Jobs["audit"]
	if !ok {
		t.Fatal("no audit job")
	}
	if job.Permissions["id-token"] != "write" || job.Permissions["security-events"] != "write" {
		t.Errorf("job permissions %v lack id-token: write and security-events: write", job.Permissions)
	}
	var assume, upload, scanStep, gate bool
	for _, s := range job.Steps {
		switch {
		case strings.HasPrefix(s.Uses, "aws-actions/configure-aws-credentials@"):
			assume = s.With["role-to-assume"] != "" && s.With["aws-access-key-id"] == ""
		case strings.HasPrefix(s.Uses, "github/codeql-action/upload-sarif@"):
			upload = s.With["sarif_file"] == "lookout.sarif" && strings.Contains(s.If, "sarif-exit == '0'")
		case s.ID == "scan":
			scanStep = strings.Contains(s.Run, "--format sarif --output lookout.sarif") &&
				strings.Contains(s.Run, `--format markdown --fail-on none >> "$GITHUB_STEP_SUMMARY"`) &&
				strings.Contains(s.Run, "--fail-on high")
		case strings.Contains(s.Run, "$GATE"):
			gate = strings.Contains(s.Run, "exit 1") && strings.Contains(s.Run, "exit 2")
		}
	}
	for name, ok := range map[string]bool{"OIDC role assumption": assume, "SARIF upload gated on a complete scan": upload,
		"scan writing SARIF, summary and gate": scanStep, "failing step": gate} {
		if !ok {
			t.Errorf("workflow lacks: %s", name)
		}
	}
}

// Every lookout command in the workflow parses with the real command tree, so a renamed flag
// breaks this test rather than users' scheduled jobs.
func TestWorkflowCommandsParse(t *testing.T) {
	w, _ := load(t)
	n := 0
	for _, job := range w.Jobs {
		for _, s := range job.Steps {
			for _, line := range strings.Split(s.Run, "\n") {
				line = strings.TrimSpace(line)
				if !strings.HasPrefix(line, "lookout ") {
					continue
				}
				n++
				if i := strings.Index(line, ">>"); i >= 0 {
					line = line[:i]
				}
				line = strings.ReplaceAll(line, `"${waivers[@]}"`, "--waivers waivers.yml")
				args := strings.Fields(line)[1:]
				cmd := root.NewCmd()
				sub, rest, err := cmd.Find(args)
				if err != nil || sub == cmd {
					t.Errorf("%q: no such command (%v)", line, err)
					continue
				}
				if err := sub.ParseFlags(rest); err != nil {
					t.Errorf("%q: %v", line, err)
				}
				if f := sub.Flags().Lookup("format"); f != nil && sub.Name() == "scan" && !slices.Contains(scancmd.Formats, f.Value.String()) {
					t.Errorf("%q: format %q is not one of %v", line, f.Value.String(), scancmd.Formats)
				}
			}
		}
	}
	if n < 4 {
		t.Errorf("found %d lookout commands in the workflow, want collect and three scans", n)
	}
}

// actionlint checks the workflow's syntax, expressions, action inputs and shell scripts
// (with shellcheck when it is installed). It is built from the Go module proxy; without
// network access the test skips, except under CI=true where it fails.
func TestActionlint(t *testing.T) {
	if testing.Short() {
		t.Skip("builds actionlint")
	}
	bin := t.TempDir()
	install := exec.Command("go", "install", "github.com/rhysd/actionlint/cmd/actionlint@"+actionlintVersion)
	install.Env = append(os.Environ(), "GOBIN="+bin, "GOFLAGS=")
	if out, err := install.CombinedOutput(); err != nil {
		msg := "cannot build actionlint " + actionlintVersion + ": " + err.Error() + "\n" + string(out)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	lint := exec.Command(filepath.Join(bin, "actionlint"), "-no-color", workflowFile)
	out, err := lint.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.ExitCode() == 1:
		t.Errorf("actionlint found problems in %s:\n%s", workflowFile, out)
	default:
		t.Fatalf("actionlint failed to run: %v\n%s", err, out)
	}
}
