package checks

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/lookout-audit/lookout/internal/awsarn"
	"github.com/lookout-audit/lookout/internal/detection"
	"github.com/lookout-audit/lookout/internal/route"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// CloudTrailLogging verifies that every scanned region of every account is covered by a trail
// that is really recording management events.
func CloudTrailLogging() *Check {
	return &Check{
		ID:       "cloudtrail-logging",
		Title:    "CloudTrail is logging in this region",
		Severity: Critical,
		Service:  "cloudtrail",
		Verifies: "Some trail covering the region (a multi-region trail from any home region, a single-region " +
			"trail homed there, or an organization trail) is logging (IsLogging), records management events " +
			"for both reads and writes (classic and advanced selectors are evaluated against probe events, " +
			"several advanced selectors combined), excludes no management event source, and shows no " +
			"LatestDeliveryError.",
		Remediation: "Start logging on the covering trail in its home region (aws cloudtrail start-logging --name TRAIL " +
			"--region HOME), or create a multi-region trail that records all management events, read and write.",
		FixSummary: "cloudtrail:StartLogging on a stopped covering trail in its home region",
		// CIS "Ensure CloudTrail is enabled in all regions": 3.1 up to v5.0, 4.1 in v6.0 and v7.0.
		Frameworks: map[string]string{"cis-aws-1.4": "3.1", "cis-aws-3.0": "3.1", "cis-aws-5.0": "3.1", "cis-aws-7.0": "4.1", "aws-securityhub": "CloudTrail.1"},
		Run:        runCloudTrailLogging,
		Plan:       planCloudTrailLogging,
		Project:    projectCloudTrailLogging,
	}
}

func runCloudTrailLogging(c *Check, s *snapshot.Snapshot, _ Options) []Finding {
	return perRegion(s, func(a *snapshot.Account, r *snapshot.Region) []Finding {
		return []Finding{c.evaluateRegion(a, *r)}
	})
}

// trailVerdict is the outcome of judging one trail for one region.
type trailVerdict struct {
	trail  *snapshot.Trail
	status Status
	reason string // why it fails or errs; for PASS, a description
}

func (c *Check) evaluateRegion(a *snapshot.Account, r snapshot.Region) Finding {
	regionRes := a.ARN("cloudtrail", r.Name, "trail/*")
	switch {
	case r.CloudTrail == nil:
		return c.notCollected(a.ID, r.Name, regionRes, "CloudTrail")
	case r.CloudTrail.Error != nil:
		return c.readError(a.ID, r.Name, regionRes, r.CloudTrail.Error, "the trails of "+r.Name)
	}
	verdicts := coveringTrailVerdicts(a, r)
	if len(verdicts) == 0 {
		f := c.finding(a.ID, r.Name, regionRes, Fail,
			fmt.Sprintf("no trail covers %s: no multi-region trail and no trail homed in %s", r.Name, r.Name))
		f.Evidence = TrailsEvidence{TrailsSeen: r.CloudTrail.TrailARNs}
		f.Fix = &FixHint{Available: true, Summary: "create a multi-region trail (S3 bucket, CloudWatch Logs delivery, log file validation) and start it"}
		return f
	}
	evidence := TrailsEvidence{Trails: trailEvidence(verdicts)}
	// Any passing trail passes the region; otherwise an ERROR outranks a FAIL (we could not
	// tell), and the message names every trail's reason.
	for _, v := range verdicts {
		if v.status == Pass {
			f := c.finding(a.ID, r.Name, v.trail.ARN, Pass, v.reason)
			f.Evidence = evidence
			return f
		}
	}
	worst := verdicts[0]
	for _, v := range verdicts {
		if v.status == Error {
			worst = v
			break
		}
	}
	var reasons []string
	for _, v := range verdicts {
		reasons = append(reasons, v.reason)
	}
	f := c.finding(a.ID, r.Name, worst.trail.ARN, worst.status, strings.Join(reasons, "; "))
	f.Evidence = evidence
	if worst.status == Fail {
		f.Fix = fixForTrails(verdicts)
	}
	return f
}

// coveringTrailVerdicts judges every trail that covers region r, sorted by ARN.
func coveringTrailVerdicts(a *snapshot.Account, r snapshot.Region) []trailVerdict {
	var out []trailVerdict
	for _, arn := range r.CloudTrail.TrailARNs {
		t := a.Trail(arn)
		if t == nil || !(t.IsMultiRegion || t.HomeRegion == r.Name) {
			continue
		}
		out = append(out, judgeTrail(t, r.Name))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].trail.ARN < out[j].trail.ARN })
	return out
}

// judgeTrail decides whether trail t really logs management events for region.
func judgeTrail(t *snapshot.Trail, region string) trailVerdict {
	v := trailVerdict{trail: t, status: Fail}
	covers := "covers " + region
	if t.IsMultiRegion && t.HomeRegion != region {
		covers = fmt.Sprintf("covers %s (multi-region, home %s)", region, t.HomeRegion)
	}
	switch {
	case t.Status == nil && t.StatusError != nil:
		v.status, v.reason = Error, fmt.Sprintf("trail %s: could not read its status: %s", t.Name, t.StatusError.Error())
	case t.Status == nil:
		v.status, v.reason = Error, fmt.Sprintf("trail %s: status was not collected", t.Name)
	case !t.Status.IsLogging:
		v.reason = fmt.Sprintf("trail %s %s but is not logging", t.Name, covers)
		if t.Status.StopLoggingTime != nil {
			v.reason += fmt.Sprintf(" (StopLogging at %s)", t.Status.StopLoggingTime.UTC().Format(time.RFC3339))
		}
	case t.Status.LatestDeliveryError != "":
		v.reason = fmt.Sprintf("trail %s is logging but cannot deliver to S3 bucket %s: %s", t.Name, t.S3BucketName, t.Status.LatestDeliveryError)
	case t.Selectors == nil && t.SelectorsError != nil:
		v.status, v.reason = Error, fmt.Sprintf("trail %s: could not read its event selectors: %s", t.Name, t.SelectorsError.Error())
	case t.Selectors == nil:
		v.status, v.reason = Error, fmt.Sprintf("trail %s: event selectors were not collected", t.Name)
	default:
		if gap := route.ManagementGap(t.Selectors); gap != "" {
			v.reason = fmt.Sprintf("trail %s is logging but %s", t.Name, gap)
		} else if st, why := globalEventsGap(t, region); st != Pass {
			v.status, v.reason = st, why
		} else {
			v.status = Pass
			kind := "single-region"
			if t.IsOrganizationTrail {
				kind = "organization"
			} else if t.IsMultiRegion {
				kind = "multi-region"
			}
			v.reason = fmt.Sprintf("trail %s (%s, home %s) is logging all management events, read and write", t.Name, kind, t.HomeRegion)
		}
	}
	return v
}

func trailEvidence(vs []trailVerdict) []TrailEvidence {
	out := make([]TrailEvidence, 0, len(vs))
	for _, v := range vs {
		out = append(out, TrailEvidence{
			ARN:            v.trail.ARN,
			HomeRegion:     v.trail.HomeRegion,
			MultiRegion:    v.trail.IsMultiRegion,
			Organization:   v.trail.IsOrganizationTrail,
			Verdict:        v.status,
			Reason:         v.reason,
			Status:         v.trail.Status,
			EventSelectors: v.trail.Selectors,
		})
	}
	return out
}

// fixForTrails proposes StartLogging when a covering trail is merely stopped.
func fixForTrails(vs []trailVerdict) *FixHint {
	for _, v := range vs {
		t := v.trail
		if t.Status != nil && !t.Status.IsLogging && !t.IsOrganizationTrail {
			return &FixHint{Available: true, Summary: fmt.Sprintf("cloudtrail:StartLogging on trail %s in %s", t.Name, t.HomeRegion)}
		}
	}
	return &FixHint{Available: false, Summary: "change the trail's event selectors or delivery by hand (lookout does not rewrite a trail's selectors)"}
}

// globalEventRegions are where CloudTrail records global service events (IAM, STS, console
// sign-in) per partition: a trail covering that region must include them, or the account's
// global activity is recorded nowhere by it (CloudTrail user guide, "Understanding global
// service events").
var globalEventRegions = map[string]string{"aws": "us-east-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}

// globalEventsGap judges IncludeGlobalServiceEvents for a trail covering region: in the region
// where global service events are recorded, a trail that excludes them FAILs (and one whose
// setting was not read is ERROR).
func globalEventsGap(t *snapshot.Trail, region string) (Status, string) {
	partition := "aws"
	if a, ok := awsarn.Parse(t.ARN); ok {
		partition = a.Partition
	}
	if globalEventRegions[partition] != region {
		return Pass, ""
	}
	return includesGlobalEvents(t)
}

// includesGlobalEvents: without global service events a trail records no IAM, STS or console
// sign-in event.
func includesGlobalEvents(t *snapshot.Trail) (Status, string) {
	switch {
	case t.IncludeGlobalServiceEvents == nil:
		return Error, fmt.Sprintf("trail %s: whether it includes global service events was not collected", t.Name)
	case !*t.IncludeGlobalServiceEvents:
		return Fail, fmt.Sprintf("trail %s is logging but excludes global service events (IncludeGlobalServiceEvents false): it records no IAM, STS or console sign-in event", t.Name)
	}
	return Pass, ""
}

// trailFeedsRegion decides whether CloudTrail delivers d's events in region r of account a at
// all: EventBridge receives "AWS API Call via CloudTrail" and console sign-in events only from
// a trail that is logging and records them ("To record events with a detail-type value of AWS
// API Call via CloudTrail, a CloudTrail trail with logging enabled is required", EventBridge
// user guide, "Events from AWS services"). Global-service events (IAM, Organizations, console
// sign-in) also need a trail that includes global service events.
func trailFeedsRegion(a *snapshot.Account, r *snapshot.Region, d detection.Detection, global bool) (Status, string) {
	switch {
	case r.CloudTrail == nil:
		return Error, "CloudTrail was not collected in " + r.Name
	case r.CloudTrail.Error != nil:
		return Error, "the trails of " + r.Name + " could not be read: " + r.CloudTrail.Error.Error()
	}
	var reasons, unknown []string
	for _, arn := range r.CloudTrail.TrailARNs {
		t := a.Trail(arn)
		if t == nil || !(t.IsMultiRegion || t.HomeRegion == r.Name) {
			continue
		}
		st, why := route.TrailRecords(t, d)
		if st == Pass && global {
			st, why = includesGlobalEvents(t)
		}
		switch st {
		case Pass:
			return Pass, ""
		case Error:
			unknown = append(unknown, why)
		default:
			reasons = append(reasons, why)
		}
	}
	if len(unknown) > 0 {
		return Error, strings.Join(unknown, "; ")
	}
	msg := "no logging trail covers " + r.Name + ", and EventBridge receives CloudTrail events only from a logging trail"
	if len(reasons) > 0 {
		msg = "no trail covering " + r.Name + " feeds EventBridge these events (" + strings.Join(reasons, "; ") + ")"
	}
	return Fail, msg
}
