package githubactions

import (
	"os"
	"regexp"
	"strconv"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/lookout-audit/lookout/internal/command/root"
	"github.com/lookout-audit/lookout/internal/shard"
)

// The matrix example uses only flags lookout really has, and its shard count matches its
// matrix, so that `lookout merge` gets exactly shards 1..N.
func TestMatrixWorkflowMatchesTheCLI(t *testing.T) {
	data, err := os.ReadFile("matrix.yml")
	if err != nil {
		t.Fatal(err)
	}
	var w struct {
		Env  map[string]string `yaml:"env"`
		Jobs map[string]struct {
			Strategy struct {
				Matrix struct {
					Shard []int `yaml:"shard"`
				} `yaml:"matrix"`
			} `yaml:"strategy"`
			Steps []struct {
				Run string `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(data, &w); err != nil {
		t.Fatalf("matrix.yml: %v", err)
	}
	shards := w.Jobs["scan"].Strategy.Matrix.Shard
	if w.Env["SHARDS"] == "" || len(shards) == 0 {
		t.Fatal("matrix.yml: no SHARDS env or shard matrix")
	}
	for i, k := range shards {
		spec, err := shard.Parse(itoa(k)+"/"+w.Env["SHARDS"], nil)
		if err != nil || spec.K != i+1 {
			t.Errorf("matrix shard %d with SHARDS=%s: %v (want shards 1..N in order)", k, w.Env["SHARDS"], err)
		}
	}
	if itoa(len(shards)) != w.Env["SHARDS"] {
		t.Errorf("SHARDS=%s but the matrix has %d shards", w.Env["SHARDS"], len(shards))
	}

	cmd := root.NewCmd()
	line := regexp.MustCompile(`lookout (scan|merge)\b([^\n]*(?:\\\n[^\n]*)*)`)
	flag := regexp.MustCompile(`(?:^|\s)--([a-z-]+)`)
	seen := map[string]bool{}
	for _, job := range w.Jobs {
		for _, st := range job.Steps {
			for _, m := range line.FindAllStringSubmatch(st.Run, -1) {
				sub, _, err := cmd.Find([]string{m[1]})
				if err != nil {
					t.Fatal(err)
				}
				seen[m[1]] = true
				for _, f := range flag.FindAllStringSubmatch(m[2], -1) {
					if sub.Flags().Lookup(f[1]) == nil {
						t.Errorf("matrix.yml: lookout %s has no --%s", m[1], f[1])
					}
				}
			}
		}
	}
	if !seen["scan"] || !seen["merge"] {
		t.Errorf("matrix.yml should run both lookout scan and lookout merge, ran %v", seen)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
