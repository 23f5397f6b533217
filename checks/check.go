// Package checks holds lookout's checks: pure functions from a snapshot to findings.
//
// Every check lives in a file of its own and is listed once in registry.go. A check never
// calls AWS: it reads internal/snapshot, so the same check runs on a live scan, on a saved
// snapshot, and in unit tests on fixtures.
package checks

import (
	"fmt"
	"time"

	"github.com/lookout-audit/lookout/internal/plan"
	"github.com/lookout-audit/lookout/internal/snapshot"
	"github.com/lookout-audit/lookout/internal/verdict"
)

// Severity of a check, part of the report contract (README: Output formats).
type Severity string

const (
	Critical Severity = "critical"
	High     Severity = "high"
	Medium   Severity = "medium"
	Low      Severity = "low"
)

// Rank orders severities: critical is 4, low is 1, anything else 0.
func (s Severity) Rank() int {
	switch s {
	case Critical:
		return 4
	case High:
		return 3
	case Medium:
		return 2
	case Low:
		return 1
	}
	return 0
}

// ParseSeverity reads a --fail-on style severity name.
func ParseSeverity(s string) (Severity, error) {
	switch sev := Severity(s); sev {
	case Critical, High, Medium, Low:
		return sev, nil
	}
	return "", fmt.Errorf("unknown severity %q (want critical, high, medium or low)", s)
}

// Status is the verdict of one finding: verdict.Verdict, the one word lookout uses from a hop
// of a path in the route engine to the report.
type Status = verdict.Verdict

const (
	Pass   = verdict.Pass
	Fail   = verdict.Fail
	Error  = verdict.Error // the verdict could not be reached; never counts as PASS
	Waived = verdict.Waived
)

// Finding is one verdict of one check on one scope, shaped as the JSON report of the contract.
type Finding struct {
	CheckID  string   `json:"check_id"`
	Title    string   `json:"title"`
	Severity Severity `json:"severity"`
	Status   Status   `json:"status"`
	Account  string   `json:"account"`
	Region   string   `json:"region"`
	Resource string   `json:"resource"`
	// Message is one sentence of at most MaxMessage characters: the verdict's reason, the
	// broken hop and the resource.
	Message string `json:"message"`
	// Detail is the whole reasoning behind the message, in prose, when it does not fit in one
	// sentence: every path weighed and the closest alternatives (the same facts, typed, are in
	// Evidence). Empty when the message says it all.
	Detail string `json:"detail,omitempty"`
	// Evidence is what was read to reach the verdict: one of the types in evidence.go (nil
	// when there is nothing to show).
	Evidence Evidence `json:"evidence,omitempty"`
	Fix      *FixHint `json:"fix,omitempty"`
	// Frameworks maps each compliance framework the check belongs to ("cis-aws-7.0",
	// "aws-securityhub", ...) to the control id it implements there; omitted when none.
	Frameworks map[string]string `json:"frameworks,omitempty"`
	// Waiver is set when a waiver turned a FAIL into WAIVED.
	Waiver *WaiverNote `json:"waiver,omitempty"`
}

// Reasoning is the finding's whole reasoning in prose: its Detail, or its Message when that
// says it all.
func (f Finding) Reasoning() string {
	if f.Detail != "" {
		return f.Detail
	}
	return f.Message
}

// FixHint tells whether `lookout fix` can remediate the finding and how, in one line.
type FixHint struct {
	Available bool   `json:"available"`
	Summary   string `json:"summary,omitempty"`
}

// WaiverNote records the waiver applied to a finding.
type WaiverNote struct {
	Reason  string `json:"reason"`
	Expires string `json:"expires"`
}

// Options are the knobs a check may read. Now is the reference time for freshness windows: a
// scan uses the snapshot's collection time, so a saved snapshot gives the same verdict later.
type Options struct {
	SigninRegions []string
	SSHLogMaxAge  time.Duration
	Now           time.Time
}

// DefaultSigninRegions are where console sign-in events are delivered: us-east-1, and since
// 2022 us-west-2 for IAM users redirected to us-west-2.signin.aws.amazon.com.
var DefaultSigninRegions = []string{"us-east-1", "us-west-2"}

// DefaultSSHLogMaxAge is how recent an instance's SSH log stream must be to count as shipping.
const DefaultSSHLogMaxAge = 24 * time.Hour

// Check is one entry of the registry.
type Check struct {
	ID       string
	Title    string
	Severity Severity
	// Service is the AWS service the finding's resource lives in (SARIF location segment).
	Service string
	// Verifies says exactly what PASS requires, for `lookout checks` and the README.
	Verifies string
	// Remediation says what to do by hand, and FixSummary what `lookout fix` does ("" if it
	// cannot fix this check).
	Remediation string
	FixSummary  string
	// Plan plans the fix of one FAIL finding (nil: lookout cannot fix this check). FixSummary
	// is set exactly when Plan is; the registry test holds the two together.
	Plan PlanFunc
	// Project, if set, applies the effect of this check's plans to the working snapshot that
	// later checks plan against (see PlanFixes).
	Project func(s *snapshot.Snapshot, plans []plan.Plan, o FixOptions)
	// Frameworks maps a compliance framework ("cis-aws-1.4", "aws-securityhub", ...) to the
	// control id this check implements.
	Frameworks map[string]string
	// Run evaluates the check on a snapshot. It must emit ERROR, never PASS, where the data it
	// needs was not read. It receives its own Check to build findings with.
	Run func(c *Check, s *snapshot.Snapshot, opts Options) []Finding
}

// finding starts a finding of this check.
func (c *Check) finding(account, region, resource string, status Status, msg string) Finding {
	return Finding{
		CheckID:  c.ID,
		Title:    c.Title,
		Severity: c.Severity,
		Status:   status,
		Account:  account,
		Region:   region,
		Resource: resource,
		Message:  msg,
	}
}

// gap is the ERROR finding for a snapshot section that was not read or failed (see
// snapshot.GapIn).
func (c *Check) gap(account, region, resource string, g *snapshot.Gap) Finding {
	f := c.finding(account, region, resource, Error, g.Error())
	if g.Err != nil {
		f.Evidence = ReadErrorEvidence{ReadError: g.Err}
	}
	return f
}

// readError is the ERROR finding for data that could not be read.
func (c *Check) readError(account, region, resource string, e *snapshot.ReadError, what string) Finding {
	f := c.finding(account, region, resource, Error, fmt.Sprintf("could not read %s: %s", what, e.Error()))
	f.Evidence = ReadErrorEvidence{ReadError: e}
	return f
}

// notCollected is the ERROR finding for a snapshot section that is absent altogether.
func (c *Check) notCollected(account, region, resource, what string) Finding {
	return c.finding(account, region, resource, Error, fmt.Sprintf("%s was not collected in this snapshot", what))
}
