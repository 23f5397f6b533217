// Package mergecmd implements `lookout merge`: join the JSON reports of a sharded scan (one per
// CI matrix job or Kubernetes pod) into the report one unsharded scan would have written, in
// any format scan writes.
package mergecmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/command/output"
	"github.com/lookout-audit/lookout/internal/exitcode"
	"github.com/lookout-audit/lookout/internal/shard"
	"github.com/lookout-audit/lookout/report"
)

// Options are merge's flags.
type Options struct {
	Files []string
	output.ReportFlags
	Stdout, Stderr io.Writer
}

// NewCmd returns the merge command.
func NewCmd() *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Use:   "merge FILE... [--format table|json|sarif|markdown|html|csv|junit|asff|ocsf] [--output FILE]",
		Short: "Join the JSON reports of a sharded scan into one report",
		Long: `Merge reads JSON reports written by 'lookout scan --format json' (typically one
per shard: --shard 1/N ... N/N) and writes the one report an unsharded scan of
the same accounts would have written, in any format scan writes.

It refuses reports written by different lookout versions, two reports of the
same shard, shards of different N, a missing shard, a mix of sharded and
unsharded reports, and reports whose accounts overlap: any of these would make
the merged report count some account twice or silently leave one out.

The exit code is scan's, computed on the merged findings (--fail-on).`,
		Example: `  # In a CI matrix, each job: lookout scan --org --shard ${{ matrix.shard }}/3 --format json -o shard.json
  lookout merge shard-1.json shard-2.json shard-3.json --format sarif --output lookout.sarif`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Files = args
			o.Stdout, o.Stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
			return Run(cmd.Context(), o)
		},
	}
	o.ReportFlags.AddFlags(cmd.Flags())
	return cmd
}

// Run merges the files and writes the result.
func Run(_ context.Context, o *Options) error {
	failOn, err := o.ReportFlags.Check()
	if err != nil {
		return err
	}
	if len(o.Files) == 0 {
		return exitcode.Usagef("merge: no report given")
	}
	inputs := make([]Input, len(o.Files))
	for i, path := range o.Files {
		r, err := readReport(path)
		if err != nil {
			return exitcode.WithCode(exitcode.Usage, err)
		}
		inputs[i] = Input{Name: path, Report: r}
	}
	rep, err := Merge(inputs)
	if err != nil {
		return exitcode.WithCode(exitcode.Usage, err)
	}
	if err := o.ReportFlags.Write(o.Stdout, o.Stderr, rep, report.WriteOptions{}); err != nil {
		return err
	}
	return output.Verdict(rep.Findings, failOn)
}

func readReport(path string) (*report.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	defer f.Close()
	r, err := report.ReadJSON(f)
	if err != nil {
		return nil, fmt.Errorf("merge: %s: %w", path, err)
	}
	return r, nil
}

// Input is one report to merge, named (by its file) for error messages.
type Input struct {
	Name   string
	Report *report.Report
}

// Merge joins reports of disjoint scopes written by one lookout version. Sharded reports must
// be exactly the shards 1..N of one N; the result is then unsharded, as if one scan had read
// every account. generated_at is the latest of the inputs', so merging is deterministic.
func Merge(inputs []Input) (*report.Report, error) {
	if len(inputs) == 0 {
		return nil, fmt.Errorf("merge: no report given")
	}
	first := inputs[0]
	for _, in := range inputs[1:] {
		if in.Report.Tool != first.Report.Tool {
			return nil, fmt.Errorf("merge: %s was written by %s %s but %s by %s %s; merge only reports of one version",
				first.Name, first.Report.Tool.Name, first.Report.Tool.Version, in.Name, in.Report.Tool.Name, in.Report.Tool.Version)
		}
	}
	if err := checkShards(inputs); err != nil {
		return nil, err
	}
	accountIn := map[string]string{}
	regions := map[string]bool{}
	var sc report.Scope
	var findings []checks.Finding
	var generated time.Time
	for _, in := range inputs {
		for _, a := range in.Report.Scope.Accounts {
			if other, dup := accountIn[a]; dup {
				return nil, fmt.Errorf("merge: account %s is in both %s and %s; the reports overlap", a, other, in.Name)
			}
			accountIn[a] = in.Name
			sc.Accounts = append(sc.Accounts, a)
		}
		for _, f := range in.Report.Findings {
			if _, ok := accountIn[f.Account]; !ok || accountIn[f.Account] != in.Name {
				return nil, fmt.Errorf("merge: %s has a finding for account %s, which is not in its scope.accounts", in.Name, f.Account)
			}
		}
		for _, r := range in.Report.Scope.Regions {
			if !regions[r] {
				regions[r] = true
				sc.Regions = append(sc.Regions, r)
			}
		}
		findings = append(findings, in.Report.Findings...)
		if in.Report.GeneratedAt.After(generated) {
			generated = in.Report.GeneratedAt
		}
	}
	rep := report.New(findings, sc, generated)
	rep.Tool = first.Report.Tool
	return rep, nil
}

// checkShards verifies the reports are all unsharded, or exactly shards 1..N of one N.
func checkShards(inputs []Input) error {
	byK := map[int]string{}
	n := 0
	var unsharded []string
	for _, in := range inputs {
		v := in.Report.Scope.Shard
		if v == "" {
			unsharded = append(unsharded, in.Name)
			continue
		}
		s, err := shard.Parse(v, func(string) string { return "" })
		if err != nil || strings.HasPrefix(strings.TrimSpace(v), "index") {
			return fmt.Errorf("merge: %s: scope.shard %q is not K/N", in.Name, v)
		}
		if n != 0 && s.N != n {
			return fmt.Errorf("merge: %s is shard %s but another report is of %d shards; merge shards of one split", in.Name, v, n)
		}
		n = s.N
		if other, dup := byK[s.K]; dup {
			return fmt.Errorf("merge: %s and %s are both shard %s; the shards overlap", other, in.Name, v)
		}
		byK[s.K] = in.Name
	}
	if n == 0 {
		return nil
	}
	if len(unsharded) > 0 {
		return fmt.Errorf("merge: %s is not a shard but the other reports are shards of %d; merge one sharded scan at a time", strings.Join(unsharded, ", "), n)
	}
	var missing []string
	for k := 1; k <= n; k++ {
		if _, ok := byK[k]; !ok {
			missing = append(missing, fmt.Sprintf("%d/%d", k, n))
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("merge: shard %s missing; a merged report without it would leave its accounts out", strings.Join(missing, ", "))
	}
	return nil
}
