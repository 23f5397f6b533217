package drill

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/awsarn"
	"github.com/lookout-audit/lookout/internal/detection"
	"github.com/lookout-audit/lookout/internal/eventpattern"
)

// The StopLogging drill of a real trail (--target-trail): for a remediation a canary cannot
// show — a rule narrowed to particular trails — or when an auditor wants the trail itself
// drilled. The drill stops that trail and watches cloudtrail:GetTrailStatus until the
// remediation restarts it; whatever happens (the deadline, a failure, Ctrl-C) it then makes
// sure the trail logs, calling cloudtrail:StartLogging itself when it does not. That safety
// net is part of the plan and never skipped. A trail that is not logging when the drill
// starts is not touched: a drill does not start what someone stopped.

// Steps of a real trail's StopLogging drill (with StepStopLogging and StepRemediated).
const (
	StepReadTrail = "read-trail"
	StepSafetyNet = "safety-net"
)

// TargetTrailPermissions are the IAM actions the drill of a real trail calls.
var TargetTrailPermissions = []string{"cloudtrail:GetTrailStatus", "cloudtrail:StopLogging", "cloudtrail:StartLogging"}

// targetTrail is the real trail a StopLogging drill stops.
type targetTrail struct {
	Name  string
	Rules []string // the rules whose pattern matches its StopLogging
}

// IsTrail says whether a StopLogging remediation finding is about trail name (a name or ARN).
func IsTrail(f checks.Finding, name string) bool {
	e, ok := ruleEvidence(f)
	if !ok || chainKind(f.CheckID) != "remediation" {
		return false
	}
	return name == e.Trail || name == f.Resource || name == trailName(e.Trail) || name == trailName(f.Resource)
}

// trailName is the name of a trail given its name or ARN (…:trail/NAME).
func trailName(s string) string {
	if p, ok := awsarn.Parse(s); ok && p.Service == "cloudtrail" {
		if name, found := strings.CutPrefix(p.Resource, "trail/"); found {
			return name
		}
	}
	return s
}

// targetPlan is the drill of a remediation by stopping its real trail.
func targetPlan(f checks.Finding) Result {
	r := base(f)
	e, _ := ruleEvidence(f)
	if e.HomeRegion == "" {
		r.Message = "no remediation to exercise: the scan's evidence names no trail and home region"
		return r
	}
	r.Region = e.HomeRegion
	name := trailName(cmp.Or(e.Trail, f.Resource))
	real := detection.Trail{Name: name, Region: e.HomeRegion, Account: f.Account, ARN: f.Resource}
	// StopLogging as the drill calls it: by the trail's name.
	stop := detection.StopLogging(real).Positives[0]
	var seeing []string
	for _, rv := range e.Rules {
		if !strings.HasPrefix(rv.State, "ENABLED") {
			continue
		}
		if p, err := eventpattern.Parse(rv.Pattern); err == nil {
			if m, err := p.Match(stop.Body); err == nil && m {
				seeing = append(seeing, rv.Rule)
			}
		}
	}
	if len(seeing) == 0 {
		r.Message = fmt.Sprintf("no remediation to exercise: no enabled rule on the default bus matches StopLogging on trail %s, so the drill does not stop it", name)
		return r
	}
	r.target = &targetTrail{Name: name, Rules: seeing}
	r.Permissions = TargetTrailPermissions
	r.Plan = []string{
		fmt.Sprintf("cloudtrail:GetTrailStatus on trail %s: drilled only if it is logging", name),
		fmt.Sprintf("cloudtrail:StopLogging on trail %s — the real trail: it records nothing until it is restarted", name),
		fmt.Sprintf("watch cloudtrail:GetTrailStatus until rule %s's remediation restarts it, until the deadline", strings.Join(seeing, ", ")),
		fmt.Sprintf("safety net, never skipped: if trail %s is not logging at the deadline, on failure or on Ctrl-C, cloudtrail:StartLogging on it", name),
	}
	r.Receives = "whatever the remediation rule's targets send besides restarting the trail (the StopLogging is real)"
	r.Message = fmt.Sprintf("plan: stop trail %s itself and time its remediation, restarting it at the deadline (run with --apply)", name)
	return r
}

// exerciseTarget runs the StopLogging drill of a real trail.
func exerciseTarget(ctx context.Context, r *Result, o Options) {
	t := r.target
	step := func(name string, st Status, detail string) { r.addStep(o.Now(), name, st, detail) }
	ct, err := o.CloudTrail(r.Account, r.Region)
	if err != nil {
		r.end(Error, false, fmt.Sprintf("no CloudTrail client for %s %s: %v", r.Account, r.Region, err))
		return
	}
	// By name, as the trail's own region knows it (CloudTrail takes a name or an ARN).
	name := t.Name
	st, err := ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(name)})
	switch {
	case err != nil:
		step(StepReadTrail, Error, err.Error())
		r.end(Error, false, interrupted(ctx, fmt.Sprintf("could not read trail %s's status: %v", t.Name, err)))
		return
	case !aws.ToBool(st.IsLogging):
		step(StepReadTrail, Skipped, "not logging")
		r.end(Skipped, false, fmt.Sprintf("not exercised: trail %s is not logging, and a drill does not touch a trail someone stopped", t.Name))
		return
	}
	step(StepReadTrail, Pass, "logging")

	at := o.Now()
	defer safetyNet(ctx, r, ct, name, at, o)
	if _, err := ct.StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String(name)}); err != nil {
		step(StepStopLogging, Error, err.Error())
		r.end(Error, false, interrupted(ctx, fmt.Sprintf("cloudtrail:StopLogging on %s failed: %v", t.Name, err)))
		return
	}
	step(StepStopLogging, Pass, "cloudtrail:StopLogging on "+t.Name)
	took, err := watchRestart(ctx, ct, name, at, o)
	switch {
	case err != nil:
		step(StepRemediated, Error, err.Error())
		r.end(Error, true, interrupted(ctx, fmt.Sprintf("stopped watching trail %s: %v", t.Name, err)))
	case took >= 0:
		step(StepRemediated, Pass, fmt.Sprintf("trail %s is logging again %s after StopLogging", t.Name, took))
		r.end(Pass, true, fmt.Sprintf("the remediation restarted trail %s %s after StopLogging (rule %s)", t.Name, took, strings.Join(t.Rules, ", ")))
	default:
		step(StepRemediated, Fail, fmt.Sprintf("trail %s was still stopped %s after StopLogging", t.Name, o.Deadline))
		r.end(Fail, true, fmt.Sprintf("nothing restarted trail %s within %s (rule %s matches its StopLogging); the drill restarted it", t.Name, o.Deadline, strings.Join(t.Rules, ", ")))
	}
}

// safetyNet makes sure the trail logs after its drill, whatever ended it: with a context of
// its own (Ctrl-C must not leave the trail stopped), it reads the trail's status and calls
// cloudtrail:StartLogging when it is not logging. When that fails the drill is ERROR and
// says, loudly, how to restart the trail.
func safetyNet(ctx context.Context, r *Result, ct CloudTrailAPI, name string, at time.Time, o Options) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	t := r.target
	st, err := ct.GetTrailStatus(cctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(name)})
	if err == nil && aws.ToBool(st.IsLogging) {
		r.addStep(o.Now(), StepSafetyNet, Pass, fmt.Sprintf("trail %s is logging: nothing to restart", t.Name))
		return
	}
	if err == nil {
		_, err = ct.StartLogging(cctx, &cloudtrail.StartLoggingInput{Name: aws.String(name)})
	}
	if err != nil {
		r.addStep(o.Now(), StepSafetyNet, Error, err.Error())
		r.end(Error, r.Exercised, fmt.Sprintf("TRAIL %s MAY BE STOPPED: the drill could not make sure it logs (%v); run: aws cloudtrail start-logging --name %s", t.Name, err, name))
		return
	}
	r.addStep(o.Now(), StepSafetyNet, Pass, fmt.Sprintf("cloudtrail:StartLogging on trail %s, %s after StopLogging", t.Name, o.Now().Sub(at).Round(time.Second)))
}
