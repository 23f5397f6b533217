package checks

import (
	"fmt"

	"github.com/lookout-audit/lookout/internal/detection"
	"github.com/lookout-audit/lookout/internal/route"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// ConsoleSigninRule verifies the console sign-in alert design (EventBridge rule → Lambda →
// Slack): a root console sign-in reaches someone, in every region sign-in events are
// delivered to.
func ConsoleSigninRule() *Check {
	return &Check{
		ID:       "eventbridge-console-signin-rule",
		Title:    "Root console sign-in triggers an EventBridge rule",
		Severity: Medium,
		Service:  "events",
		Verifies: "In each sign-in region (us-east-1 and us-west-2 by default, --signin-regions to change; since 2022 " +
			"many console sign-ins are delivered to us-west-2): an ENABLED rule on the default event bus whose " +
			"pattern, evaluated against sign-in events, matches a root console sign-in (source aws.signin, under either " +
			"detail-type spelling, \"AWS Console Sign In via CloudTrail\" or \"AWS Console Signin via CloudTrail\") and " +
			"does not match unrelated or custom look-alike events, with a target that delivers: a Lambda function that " +
			"lets the rule invoke it, an SNS topic with a confirmed subscriber that receives the event, or an event bus " +
			"whose rules do. Rules narrowed to particular principals (such as the root user) pass as long as " +
			"root sign-in still matches. Sign-in regions outside the scanned regions (--regions) are not evaluated." + route.DeliveryVerifies,
		Remediation: `In us-east-1 and us-west-2, create a rule {"source":["aws.signin"],"detail-type":["AWS Console Sign In via CloudTrail"]} ` +
			"with a Lambda (Slack) or SNS target that has a confirmed subscriber.",
		FixSummary: "create a root console sign-in rule with an SNS target in each sign-in region",
		Run:        runConsoleSigninRule,
		Plan:       planConsoleSigninRule,
	}
}

func runConsoleSigninRule(c *Check, s *snapshot.Snapshot, opts Options) []Finding {
	regions := opts.SigninRegions
	if len(regions) == 0 {
		regions = DefaultSigninRegions
	}
	var out []Finding
	for ai := range s.Accounts {
		a := &s.Accounts[ai]
		for _, name := range regions {
			resource := a.ARN("events", name, "rule/*")
			r := a.Region(name)
			if r == nil {
				// The user scoped the scan away from this sign-in region (a regional scan):
				// nothing was asked of it, so nothing is claimed. A region that was scanned
				// but could not be read is ERROR in ruleFinding.
				continue
			}
			d := detection.RootConsoleSignin(name, a.ID)
			// Sign-in events reach EventBridge only through a logging trail that records them
			// (and global service events).
			if st, why := trailFeedsRegion(a, r, d, true); st != Pass {
				f := c.finding(a.ID, name, resource, st, "root console sign-ins in "+name+" reach no rule: "+why)
				if st == Fail {
					f.Fix = &FixHint{Available: false, Summary: "start (or create) a multi-region trail that records management events and global service events (cloudtrail-logging)"}
				}
				out = append(out, f)
				continue
			}
			out = append(out, c.ruleFinding(s, a.ID, r, resource, d, route.Notifies, "a root console sign-in",
				&FixHint{Available: true, Summary: fmt.Sprintf("create rule lookout-root-console-signin in %s with an SNS target (--sns-topic-arn or --notify-email)", name)}))
		}
	}
	return out
}

// ruleFinding is the finding of a "some rule in this region acts on these events" check.
func (c *Check) ruleFinding(s *snapshot.Snapshot, account string, r *snapshot.Region, resource string, d detection.Detection, policy route.TargetPolicy, what string, fix *FixHint) Finding {
	found := route.SearchRules(s, r, d, policy)
	if found.Gap != nil {
		return c.gap(account, r.Name, resource, found.Gap)
	}
	evidence := found.Evidence(d)
	b := found.Best
	if b == nil {
		f := c.finding(account, r.Name, resource, Fail, fmt.Sprintf("no EventBridge rule on the default bus in %s matches %s", r.Name, what))
		f.Evidence, f.Fix = evidence, fix
		return f
	}
	ruleARN := resource
	for _, rule := range r.EventBridge.Rules {
		if rule.Name == b.Rule && rule.ARN != "" {
			ruleARN = rule.ARN
		}
	}
	var f Finding
	switch b.Status() {
	case Pass:
		f = c.finding(account, r.Name, ruleARN, Pass, fmt.Sprintf("rule %s (%s) matches %s; target: %s", b.Rule, b.State, what, b.OKTarget()))
	case Error:
		f = c.finding(account, r.Name, ruleARN, Error, route.RuleMessage(b))
	default:
		msg := fmt.Sprintf("no rule acts on %s: %s", what, route.RuleMessage(b))
		if len(found.Judged) > 1 {
			msg += fmt.Sprintf(" (closest of %d rules; see evidence)", len(found.Judged))
		}
		f = c.finding(account, r.Name, ruleARN, Fail, msg)
		f.Fix = fix
	}
	f.Evidence = evidence
	return f
}
