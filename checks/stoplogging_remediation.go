package checks

import (
	"fmt"
	"strings"

	"github.com/lookout-audit/lookout/internal/awsarn"
	"github.com/lookout-audit/lookout/internal/detection"
	"github.com/lookout-audit/lookout/internal/route"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// StopLoggingRemediation verifies the StopLogging auto-remediation design: a trail that someone
// stops is started again at once, by an EventBridge rule on StopLogging that invokes a
// remediation (typically a Lambda function calling StartLogging).
func StopLoggingRemediation() *Check {
	return &Check{
		ID:       "cloudtrail-stoplogging-remediation",
		Title:    "StopLogging on a trail is remediated automatically",
		Severity: High,
		Service:  "events",
		Verifies: "For each logging trail the account owns, in the trail's home region (the only region where " +
			"StopLogging for it can be called, so the only one whose default event bus sees the call): an ENABLED " +
			"rule on the default bus whose event pattern, evaluated against StopLogging events, matches the call " +
			"whether the caller names the trail or its ARN and whoever calls it (IAM user, assumed role, IAM Identity " +
			"Center user, federated user, root), matches neither StartLogging nor a custom event imitating StopLogging, " +
			"matches no other call of the AWS API catalogue, and has a target that EventBridge may invoke and that can " +
			"remediate — invocable is not remediating: a Lambda function whose resource policy lets this rule invoke it, " +
			"that is Active, whose reserved concurrency is not 0, and whose execution role (inline and attached policies, " +
			"explicit Deny first) allows cloudtrail:StartLogging on this trail's ARN; or an SSM Automation runbook, started " +
			"through a role that trusts EventBridge, whose document (ssm:GetDocument) has an aws:executeAwsApi step calling " +
			"StartLogging, run with the role that really runs it (the AutomationAssumeRole it is passed, which must trust " +
			"Systems Manager and be passable by the starting role, else the starting role) allowed to call it. Several rules " +
			"count together (one for the name form, one for the ARN form). A rule that only notifies (SNS), a disabled rule, " +
			"a rule in another region, a pattern that misses the ARN form or some callers, and a target that no longer " +
			"exists, refuses EventBridge, is throttled or whose role may not StartLogging each FAIL with that reason; a " +
			"permissions boundary or a runbook step lookout cannot read is ERROR. Service control policies cannot be read " +
			"from the account and are not judged." + route.DeliveryVerifies,
		Remediation: "In the trail's home region, create an EventBridge rule matching " +
			`{"source":["aws.cloudtrail"],"detail-type":["AWS API Call via CloudTrail"],"detail":{"eventSource":["cloudtrail.amazonaws.com"],"eventName":["StopLogging"]}} ` +
			"with a Lambda target that calls cloudtrail:StartLogging on event.detail.requestParameters.name.",
		FixSummary: "deploy a StopLogging rule and a StartLogging Lambda function in the trail's home region",
		Run:        runStopLoggingRemediation,
		Plan:       planStopLoggingRemediation,
	}
}

func runStopLoggingRemediation(c *Check, s *snapshot.Snapshot, _ Options) []Finding {
	var out []Finding
	for ai := range s.Accounts {
		a := &s.Accounts[ai]
		// A region whose trails could not be listed may be the home of a trail lookout does not
		// know of: that region is ERROR, never silence.
		for _, r := range a.Regions {
			switch {
			case r.CloudTrail == nil:
				out = append(out, c.notCollected(a.ID, r.Name, a.ARN("cloudtrail", r.Name, "trail/*"), "CloudTrail (the trails homed in "+r.Name+")"))
			case r.CloudTrail.Error != nil:
				out = append(out, c.readError(a.ID, r.Name, a.ARN("cloudtrail", r.Name, "trail/*"), r.CloudTrail.Error, "the trails of "+r.Name+" (a trail homed there would need its StopLogging rule there)"))
			}
		}
		for ti := range a.Trails {
			t := &a.Trails[ti]
			// Only the owner can stop a trail (an organization trail seen from a member
			// account is the management account's to protect).
			if owner, ok := awsarn.Parse(t.ARN); ok && owner.Account != a.ID {
				continue
			}
			if f, ok := c.stopLoggingFinding(s, a, t); ok {
				out = append(out, f)
			}
		}
	}
	return out
}

// stopLoggingFinding judges one trail; ok is false for a trail that is not logging (nothing
// to protect: cloudtrail-logging reports it).
func (c *Check) stopLoggingFinding(s *snapshot.Snapshot, a *snapshot.Account, t *snapshot.Trail) (Finding, bool) {
	home := t.HomeRegion
	switch {
	case t.Status == nil && t.StatusError != nil:
		return c.readError(a.ID, home, t.ARN, t.StatusError, "the status of trail "+t.Name), true
	case t.Status == nil:
		return c.notCollected(a.ID, home, t.ARN, "the status of trail "+t.Name), true
	case !t.Status.IsLogging:
		return Finding{}, false
	}
	r := a.Region(home)
	if r == nil {
		return c.finding(a.ID, home, t.ARN, Error, fmt.Sprintf("trail %s is homed in %s, which was not scanned: its StopLogging rule can only be there", t.Name, home)), true
	}
	d := detection.StopLogging(detection.Trail{Name: t.Name, ARN: t.ARN, Region: home, Account: a.ID})
	found := route.SearchRules(s, r, d, route.Remediating("cloudtrail:StartLogging", t.ARN))
	if found.Gap != nil {
		return c.gap(a.ID, r.Name, t.ARN, found.Gap), true
	}
	evidence := found.Evidence(d)
	evidence.Trail, evidence.HomeRegion = t.ARN, home
	if b := found.Best; b != nil && b.Status() != Fail {
		f := c.finding(a.ID, home, t.ARN, b.Status(), "")
		if b.Status() == Pass {
			f.Message = fmt.Sprintf("rule %s (%s, %s) matches StopLogging on trail %s by name and by ARN; remediation target: %s",
				b.Rule, b.State, home, t.Name, b.OKTarget())
		} else {
			f.Message = fmt.Sprintf("trail %s: %s", t.Name, route.RuleMessage(b))
		}
		f.Evidence = evidence
		return f, true
	}
	f := c.finding(a.ID, home, t.ARN, Fail, "")
	f.Evidence = evidence
	f.Fix = &FixHint{Available: true, Summary: fmt.Sprintf("create rule lookout-stoplogging-%s on StopLogging (name and ARN) in %s with a Lambda target that calls cloudtrail:StartLogging", t.Name, home)}
	if b := found.Best; b != nil {
		f.Message = fmt.Sprintf("trail %s is not protected: %s", t.Name, route.RuleMessage(b))
		if len(b.PatternVerdict().MissedPositives) > 0 && strings.Contains(strings.Join(b.PatternVerdict().MissedPositives, " "), "ARN") {
			f.Message += " (StopLogging --name " + t.ARN + " stops the trail unnoticed)"
		}
		return f, true
	}
	// Nothing in the home region: a rule elsewhere is a common mistake worth naming.
	if elsewhere := stopLoggingRulesElsewhere(s, a, home, d); elsewhere != "" {
		f.Message = fmt.Sprintf("trail %s is not protected: no rule in its home region %s matches StopLogging; %s, "+
			"but StopLogging on this trail is only emitted in %s, so that rule never sees it", t.Name, home, elsewhere, home)
		return f, true
	}
	f.Message = fmt.Sprintf("trail %s is not protected: no EventBridge rule in its home region %s matches StopLogging on it", t.Name, home)
	return f, true
}

// stopLoggingRulesElsewhere names a rule on StopLogging in another region of the account.
func stopLoggingRulesElsewhere(s *snapshot.Snapshot, a *snapshot.Account, home string, d detection.Detection) string {
	for _, r := range a.Regions {
		if r.Name == home || r.EventBridge == nil {
			continue
		}
		for _, rule := range r.EventBridge.Rules {
			if !route.OnDefaultBus(rule) {
				continue
			}
			if v := route.JudgeRule(s, r.Name, rule, d, route.Remediating("cloudtrail:StartLogging", "")); v.Relevant() {
				return fmt.Sprintf("rule %s in %s does", rule.Name, r.Name)
			}
		}
	}
	return ""
}
