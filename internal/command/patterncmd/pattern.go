// Package patterncmd implements `lookout pattern test`, the offline twin of the CloudWatch Logs
// TestMetricFilter and EventBridge TestEventPattern APIs: it runs a metric-filter pattern or an
// event pattern over event files with the same engines the checks use, so a user can see why
// a check judged their alarm or rule the way it did, and try a fix before deploying it.
package patterncmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lookout-audit/lookout/internal/apicatalog"
	"github.com/lookout-audit/lookout/internal/awsclient"
	"github.com/lookout-audit/lookout/internal/detection"
	"github.com/lookout-audit/lookout/internal/eventpattern"
	"github.com/lookout-audit/lookout/internal/exitcode"
	"github.com/lookout-audit/lookout/internal/filterpattern"
	"github.com/lookout-audit/lookout/internal/secondopinion"
)

// NewCmd returns the `pattern` command with its `test` subcommand.
func NewCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pattern",
		Short: "Work with CloudWatch Logs filter patterns and EventBridge event patterns",
		Long: `Work with CloudWatch Logs filter patterns and EventBridge event patterns offline.

lookout judges metric filters and EventBridge rules by running their patterns over real
events, not by comparing their text. "lookout pattern test" lets you do the same.`,
		SilenceUsage: true,
	}
	cmd.AddCommand(newTestCmd())
	return cmd
}

type testOptions struct {
	filterPattern string
	eventPattern  string
	metricValue   string
	catalogue     bool
	// aws also asks AWS's own evaluator, in region.
	aws    bool
	region string
	// evaluator builds the evaluator --aws asks (nil: AWS's, with the SDK's default chain).
	evaluator func(ctx context.Context, region string) (secondopinion.Evaluator, string, error)
}

func newTestCmd() *cobra.Command {
	var o testOptions
	cmd := &cobra.Command{
		Use:   "test (--filter-pattern PATTERN | --event-pattern JSON) EVENT_FILE...",
		Short: "Test a metric filter pattern or an event pattern against event files",
		Long: `Test a pattern against events, offline: the twin of logs:TestMetricFilter and
events:TestEventPattern.

With --filter-pattern, each EVENT_FILE holds one log event exactly as CloudWatch Logs stores
it: a CloudTrail record (one JSON document) or one line of a log file such as
/var/log/auth.log. A single trailing newline is ignored. For matches, the values the pattern
extracts are printed ($.selector for JSON patterns, $field for space-delimited ones), and with
--metric-value the number the metric filter would publish.

With --event-pattern, each EVENT_FILE holds one EventBridge event: the whole envelope
(version, id, detail-type, source, account, time, region, resources, detail). The pattern is
JSON text, or @FILE to read it from a file.

Use "-" as EVENT_FILE to read one event from standard input.

With --aws, each event is also sent to AWS's own evaluator (logs:TestMetricFilter, up to 50
events a call; events:TestEventPattern, one a call, which needs an envelope with id, account,
source, time, region, resources and detail-type), with the SDK's default credentials and
--region (default: the SDK's), and its answer is printed under lookout's. These calls only
evaluate: they read and change nothing in the account.

With --catalogue (EVENT_FILEs then optional), the pattern is also run over every operation of
the AWS API catalogue lookout embeds (from the AWS SDK service models), each as the CloudTrail
record of a successful call, and the calls it matches that no CIS monitoring control watches
are listed, read-only calls first: what makes a CIS change alarm or rule "too broad" in a scan.
An event pattern is judged as a rule in state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS
sees events; in state ENABLED a rule never receives the read-only ones.

Exit status: 0 when every event matched (and, with --catalogue, no unwatched call did), 1 when
at least one event did not match or an unwatched call did, 2 with --aws when AWS's evaluator
disagrees with lookout's on an event or could not be asked, 3 when the pattern is malformed or
an event file cannot be read (or, for event patterns, is not a JSON object).

Filter pattern syntax, in brief (case-sensitive everywhere):
  { $.a.b = "x*" && ($.c[0] > 5 || $.d NOT EXISTS) }   JSON: =, !=, <, <=, >, >=, IS TRUE,
                                                        IS FALSE, IS NULL, EXISTS, NOT EXISTS
  "Accepted publickey for"   ?ERROR ?WARN   ERROR -Exiting          terms and phrases
  [ip, user, ..., status = 4*, bytes > 1000]                        space-delimited fields
Remember: != does not match when the field is absent.`,
		Example: `  # Does the CIS root-usage filter catch this root console login? (exit 0 = matched)
  lookout pattern test \
    --filter-pattern '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }' \
    root-login.json

  # Which SSH log lines does the alarm count?
  grep sshd /var/log/auth.log | head -1 > line.txt
  lookout pattern test --filter-pattern '"Accepted publickey for"' line.txt

  # What would the metric publish?
  lookout pattern test --filter-pattern '[ip, user, ..., status = 4*, bytes]' \
    --metric-value '$bytes' access-line.txt

  # What else in AWS does this pattern fire on?
  lookout pattern test --catalogue --filter-pattern '{ $.eventName = *Trail }'

  # Does the StopLogging rule fire on a StopLogging called with the trail ARN?
  aws events describe-rule --name enable_trail --query EventPattern --output text > rule.json
  lookout pattern test --event-pattern @rule.json stoplogging-by-arn.json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && !o.catalogue {
				return exitcode.Usagef("pattern test: give at least one EVENT_FILE (or --catalogue)")
			}
			return nil
		},
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTest(cmd.Context(), cmd.OutOrStdout(), cmd.InOrStdin(), o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.filterPattern, "filter-pattern", "", "CloudWatch Logs filter pattern (metric filter / subscription filter syntax)")
	f.StringVar(&o.eventPattern, "event-pattern", "", "EventBridge event pattern: JSON text, or @FILE")
	f.BoolVar(&o.catalogue, "catalogue", false, "also list the calls of the AWS API catalogue the pattern matches that no CIS monitoring control watches")
	f.BoolVar(&o.aws, "aws", false, "also ask AWS's own evaluator (logs:TestMetricFilter or events:TestEventPattern) and print its answer beside lookout's")
	f.StringVar(&o.region, "region", "", "with --aws: the region to ask in (default: the SDK's, from AWS_REGION or the profile)")
	f.StringVar(&o.metricValue, "metric-value", "", `with --filter-pattern: the metric transformation's value ("1", "$.bytes", "$size") to compute for each match`)
	return cmd
}

type eventFile struct {
	name string
	body []byte
}

func runTest(ctx context.Context, out io.Writer, stdin io.Reader, o testOptions, args []string) error {
	hasFilter, hasEvent := o.filterPattern != "", o.eventPattern != ""
	if hasFilter == hasEvent {
		return exitcode.Usagef("pattern test: give exactly one of --filter-pattern or --event-pattern")
	}
	if hasEvent && o.metricValue != "" {
		return exitcode.Usagef("pattern test: --metric-value applies to --filter-pattern only")
	}
	files, err := readEvents(args, stdin)
	if err != nil {
		return err
	}
	var tested error
	switch {
	case len(files) == 0:
	case hasFilter:
		tested = testFilter(ctx, out, o, files)
	default:
		tested = testEvent(ctx, out, o, files)
	}
	if !o.catalogue || (tested != nil && exitcode.Code(tested) == exitcode.Usage) {
		return tested
	}
	if err := testCatalogue(out, o); err != nil {
		return err
	}
	return tested
}

// testCatalogue lists what else in the AWS API catalogue the pattern matches.
func testCatalogue(out io.Writer, o testOptions) error {
	lang, text := detection.FilterPattern, o.filterPattern
	if o.eventPattern != "" {
		lang, text = detection.EventPattern, o.eventPattern
		if strings.HasPrefix(text, "@") {
			b, err := readLimited(text[1:])
			if err != nil {
				return exitcode.Usagef("pattern test: cannot read event pattern file %s: %v", text[1:], err)
			}
			text = string(b)
		}
	}
	calls, err := detection.CatalogueNoise(lang, text, "", "")
	if err != nil {
		return exitcode.Usagef("%v", err)
	}
	fmt.Fprintf(out, "AWS API catalogue (botocore %s): %d unwatched call(s) matched\n", apicatalog.Version(), len(calls))
	for _, c := range calls {
		ro := ""
		if c.ReadOnly {
			ro = "  (read-only)"
		}
		fmt.Fprintf(out, "MATCH     %s%s\n", c, ro)
	}
	if len(calls) > 0 {
		return exitcode.Silent(exitcode.Findings)
	}
	return nil
}

func readEvents(args []string, stdin io.Reader) ([]eventFile, error) {
	var files []eventFile
	stdinUsed := false
	for _, name := range args {
		var b []byte
		var err error
		if name == "-" {
			if stdinUsed {
				return nil, exitcode.Usagef("pattern test: standard input (-) given twice")
			}
			stdinUsed = true
			b, err = io.ReadAll(io.LimitReader(stdin, maxEventBytes+1))
		} else {
			b, err = readLimited(name)
		}
		if err != nil {
			return nil, exitcode.Usagef("pattern test: cannot read event file %s: %v", name, err)
		}
		if len(b) > maxEventBytes {
			return nil, exitcode.Usagef("pattern test: event file %s is larger than %d bytes", name, maxEventBytes)
		}
		files = append(files, eventFile{name: name, body: b})
	}
	return files, nil
}

// maxEventBytes bounds one event file: CloudWatch Logs events are at most 256 KiB and
// EventBridge events at most 256 KB, so anything far larger is not an event.
const maxEventBytes = 1 << 20

func readLimited(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxEventBytes+1))
}

func testFilter(ctx context.Context, out io.Writer, o testOptions, files []eventFile) error {
	p, err := filterpattern.Parse(o.filterPattern)
	if err != nil {
		return exitcode.Usagef("%v", err)
	}
	if o.metricValue != "" && !strings.HasPrefix(strings.TrimSpace(o.metricValue), "$") {
		if _, err := strconv.ParseFloat(strings.TrimSpace(o.metricValue), 64); err != nil {
			return exitcode.Usagef("pattern test: --metric-value %q is neither a number nor a $field", o.metricValue)
		}
	}
	matched := 0
	msgs, results := make([]string, len(files)), make([]bool, len(files))
	for i, f := range files {
		msg := strings.TrimSuffix(strings.TrimSuffix(string(f.body), "\n"), "\r")
		r := p.Match(msg)
		msgs[i], results[i] = msg, r.Matched
		if !r.Matched {
			fmt.Fprintf(out, "NO MATCH  %s\n", f.name)
			continue
		}
		matched++
		fmt.Fprintf(out, "MATCH     %s\n", f.name)
		keys := make([]string, 0, len(r.Fields))
		for k := range r.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(out, "          %s = %s\n", k, strconv.Quote(r.Fields[k]))
		}
		if o.metricValue != "" {
			v, err := filterpattern.MetricValue(o.metricValue, r, msg)
			if err != nil {
				fmt.Fprintf(out, "          metric value: none (%v)\n", err)
			} else {
				fmt.Fprintf(out, "          metric value: %s\n", strconv.FormatFloat(v, 'g', -1, 64))
			}
		}
	}
	if o.aws {
		ask := func(ctx context.Context, ev secondopinion.Evaluator, region string) ([]bool, error) {
			var got []bool
			for lo := 0; lo < len(msgs); lo += 50 { // TestMetricFilter takes 1-50 messages
				m, err := ev.FilterMatches(ctx, region, o.filterPattern, msgs[lo:min(lo+50, len(msgs))])
				if err != nil {
					return nil, err
				}
				got = append(got, m...)
			}
			return got, nil
		}
		if err := askAWS(ctx, out, o, "logs:TestMetricFilter", files, results, ask); err != nil {
			return err
		}
	}
	return summary(out, matched, len(files))
}

// askAWS asks AWS's evaluator about every event and prints its answer beside lookout's; a
// disagreement, or an evaluator that could not be asked, is exit 2.
func askAWS(ctx context.Context, out io.Writer, o testOptions, api string, files []eventFile, lookout []bool,
	ask func(ctx context.Context, ev secondopinion.Evaluator, region string) ([]bool, error)) error {
	build := o.evaluator
	if build == nil {
		build = func(ctx context.Context, region string) (secondopinion.Evaluator, string, error) {
			cfg, err := awsclient.LoadConfig(ctx, awsclient.Options{})
			if err != nil {
				return nil, "", err
			}
			if region == "" {
				region = cfg.Region
			}
			return secondopinion.NewAWS(cfg), region, nil
		}
	}
	ev, region, err := build(ctx, o.region)
	if err == nil && region == "" {
		err = errors.New("no region: give --region or set AWS_REGION")
	}
	if err != nil {
		return exitcode.WithCode(exitcode.Incomplete, fmt.Errorf("pattern test --aws: %w", err))
	}
	got, err := ask(ctx, ev, region)
	if err == nil && len(got) != len(files) {
		err = fmt.Errorf("%s answered for %d of %d events", api, len(got), len(files))
	}
	if err != nil {
		return exitcode.WithCode(exitcode.Incomplete, fmt.Errorf("pattern test --aws: %w", err))
	}
	disagree := 0
	for i, f := range files {
		verdict := "agrees"
		if got[i] != lookout[i] {
			verdict, disagree = "DISAGREES with lookout", disagree+1
		}
		word := "NO MATCH"
		if got[i] {
			word = "MATCH"
		}
		fmt.Fprintf(out, "AWS       %-8s  %s (%s in %s: %s)\n", word, f.name, api, region, verdict)
	}
	if disagree > 0 {
		fmt.Fprintf(out, "%d of %d events matched by lookout; AWS's evaluator disagrees on %d\n", count(lookout), len(files), disagree)
		return exitcode.WithCode(exitcode.Incomplete, fmt.Errorf("pattern test --aws: AWS's evaluator (%s) disagrees with lookout on %d of %d events", api, disagree, len(files)))
	}
	return nil
}

func count(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

func testEvent(ctx context.Context, out io.Writer, o testOptions, files []eventFile) error {
	text := o.eventPattern
	if strings.HasPrefix(text, "@") {
		b, err := readLimited(text[1:])
		if err != nil {
			return exitcode.Usagef("pattern test: cannot read event pattern file %s: %v", text[1:], err)
		}
		text = string(b)
	}
	p, err := eventpattern.Parse(text)
	if err != nil {
		return exitcode.Usagef("%v", err)
	}
	// Evaluate every event before printing anything, so exit 3 never follows partial output.
	results := make([]bool, len(files))
	for i, f := range files {
		ok, err := p.Match(f.body)
		if err != nil {
			return exitcode.Usagef("pattern test: event file %s is not an EventBridge event (%v)", f.name, err)
		}
		results[i] = ok
	}
	matched := 0
	for i, f := range files {
		if results[i] {
			matched++
			fmt.Fprintf(out, "MATCH     %s\n", f.name)
		} else {
			fmt.Fprintf(out, "NO MATCH  %s\n", f.name)
		}
	}
	if o.aws {
		ask := func(ctx context.Context, ev secondopinion.Evaluator, region string) ([]bool, error) {
			got := make([]bool, len(files))
			for i, f := range files {
				m, err := ev.EventMatches(ctx, region, text, f.body)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", f.name, err)
				}
				got[i] = m
			}
			return got, nil
		}
		if err := askAWS(ctx, out, o, "events:TestEventPattern", files, results, ask); err != nil {
			return err
		}
	}
	return summary(out, matched, len(files))
}

func summary(out io.Writer, matched, total int) error {
	fmt.Fprintf(out, "%d of %d events matched\n", matched, total)
	if matched != total {
		return exitcode.Silent(exitcode.Findings)
	}
	return nil
}
