package checks

import (
	"fmt"
	"sort"
	"strings"

	"github.com/lookout-audit/lookout/internal/detection"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// Shared judgement of EventBridge rules and of what their targets (and alarm actions) lead to.
// Three checks use it: StopLogging remediation, console sign-in and EC2 state-change rules.
// Each asks the same questions in the same order — does the pattern match the detection's
// events (by evaluation, never by text), is the rule enabled, does a target do something — and
// differs only in which targets count.

// arn is a parsed Amazon Resource Name.
type arn struct {
	Partition, Service, Region, Account, Resource string
}

// parseARN splits an ARN; ok is false for anything that is not arn:partition:service:....
func parseARN(s string) (a arn, ok bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] == "" {
		return arn{}, false
	}
	return arn{Partition: parts[1], Service: parts[2], Region: parts[3], Account: parts[4], Resource: parts[5]}, true
}

// regionOf finds one region of one account in the snapshot. where explains a nil answer
// ("account 222222222222 is not in this scan", "region eu-west-1 of account ... was not
// scanned"), since a chain that leads out of what was read cannot be judged.
func regionOf(s *snapshot.Snapshot, account, region string) (r *snapshot.Region, where string) {
	for i := range s.Accounts {
		a := &s.Accounts[i]
		if a.ID != account {
			continue
		}
		if r := a.Region(region); r != nil {
			return r, ""
		}
		return nil, fmt.Sprintf("region %s of account %s was not scanned", region, account)
	}
	return nil, fmt.Sprintf("account %s is not in this scan (not listed, or could not be entered)", account)
}

// linkState is the outcome of judging one link of a control.
type linkState int

const (
	linkBroken  linkState = iota // read, and it does not do the job: FAIL
	linkUnknown                  // could not be read or lies outside the scan: ERROR
	linkOK
)

// targetPolicy says which rule targets count as acting on the event.
type targetPolicy int

const (
	// remediates: a Lambda function that exists, or an SSM Automation runbook.
	remediates targetPolicy = iota
	// notifies: a Lambda function that exists, or an SNS topic with a confirmed subscriber.
	notifies
)

func (p targetPolicy) String() string {
	if p == remediates {
		return "a remediating target (Lambda function or SSM Automation)"
	}
	return "a notifying target (Lambda function, or SNS topic with a confirmed subscriber)"
}

// targetVerdict judges one rule target.
type targetVerdict struct {
	ARN    string    `json:"arn"`
	Kind   string    `json:"kind"`
	State  linkState `json:"state"`
	Reason string    `json:"reason"`
	// absent is set when the target itself does not exist (as opposed to existing but not
	// doing the job), so an alarm chain can name the broken link.
	absent bool
}

// MarshalJSON writes the state as a word in evidence.
func (l linkState) MarshalJSON() ([]byte, error) {
	return []byte(`"` + [...]string{"broken", "unknown", "ok"}[l] + `"`), nil
}

// judgeTarget decides whether target ARN t does what policy asks for.
func judgeTarget(s *snapshot.Snapshot, t string, policy targetPolicy) targetVerdict {
	a, ok := parseARN(t)
	if !ok {
		return targetVerdict{ARN: t, Kind: "unknown", State: linkBroken, Reason: fmt.Sprintf("target %q is not an ARN", t)}
	}
	switch {
	case a.Service == "lambda" && strings.HasPrefix(a.Resource, "function:"):
		return judgeLambda(s, t, a)
	case a.Service == "ssm" && strings.HasPrefix(a.Resource, "automation-definition/"):
		doc := strings.SplitN(strings.TrimPrefix(a.Resource, "automation-definition/"), ":", 2)[0]
		v := targetVerdict{ARN: t, Kind: "ssm-automation"}
		if policy != remediates {
			v.State, v.Reason = linkBroken, fmt.Sprintf("SSM Automation runbook %s runs a runbook but notifies no one", doc)
			return v
		}
		v.State, v.Reason = linkOK, fmt.Sprintf("SSM Automation runbook %s", doc)
		return v
	case a.Service == "sns":
		v := judgeTopic(s, t)
		if policy == remediates && v.State == linkOK {
			v.State, v.Reason = linkBroken, fmt.Sprintf("SNS topic %s only notifies: nothing restarts logging", a.Resource)
		}
		return v
	}
	kind := a.Service
	if a.Service == "events" {
		kind = "event bus"
	}
	return targetVerdict{ARN: t, Kind: kind, State: linkBroken,
		Reason: fmt.Sprintf("target %s is a %s target, not %s (lookout does not follow it further)", t, kind, policy)}
}

// judgeLambda: the function must exist in its own account and region. A qualified ARN
// (alias or version) names the function before the qualifier.
func judgeLambda(s *snapshot.Snapshot, t string, a arn) targetVerdict {
	name := strings.SplitN(strings.TrimPrefix(a.Resource, "function:"), ":", 2)[0]
	v := targetVerdict{ARN: t, Kind: "lambda"}
	r, where := regionOf(s, a.Account, a.Region)
	switch {
	case r == nil:
		v.State, v.Reason = linkUnknown, fmt.Sprintf("Lambda function %s cannot be verified: %s", name, where)
	case r.Lambda == nil:
		v.State, v.Reason = linkUnknown, fmt.Sprintf("Lambda function %s cannot be verified: Lambda functions were not collected in %s", name, a.Region)
	case r.Lambda.Error != nil:
		v.State, v.Reason = linkUnknown, fmt.Sprintf("Lambda function %s cannot be verified: %s", name, r.Lambda.Error.Error())
	default:
		for _, f := range r.Lambda.Functions {
			if f.Name == name {
				v.State, v.Reason = linkOK, fmt.Sprintf("Lambda function %s exists", name)
				return v
			}
		}
		v.State, v.Reason, v.absent = linkBroken, fmt.Sprintf("target Lambda function %s no longer exists in %s", name, a.Region), true
	}
	return v
}

// judgeTopic: the topic must exist in its own account and region and have at least one
// confirmed subscription; a PendingConfirmation subscriber receives nothing.
func judgeTopic(s *snapshot.Snapshot, t string) targetVerdict {
	v := targetVerdict{ARN: t, Kind: "sns"}
	a, ok := parseARN(t)
	if !ok || a.Service != "sns" {
		v.State, v.Reason = linkBroken, fmt.Sprintf("%q is not an SNS topic ARN", t)
		return v
	}
	name := a.Resource
	r, where := regionOf(s, a.Account, a.Region)
	switch {
	case r == nil:
		v.State, v.Reason = linkUnknown, fmt.Sprintf("SNS topic %s cannot be verified: %s", name, where)
		return v
	case r.SNS == nil:
		v.State, v.Reason = linkUnknown, fmt.Sprintf("SNS topic %s cannot be verified: SNS topics were not collected in %s", name, a.Region)
		return v
	case r.SNS.Error != nil:
		v.State, v.Reason = linkUnknown, fmt.Sprintf("SNS topic %s cannot be verified: %s", name, r.SNS.Error.Error())
		return v
	}
	for _, topic := range r.SNS.Topics {
		if topic.ARN != t {
			continue
		}
		if topic.SubscriptionsError != nil {
			v.State, v.Reason = linkUnknown, fmt.Sprintf("subscribers of SNS topic %s cannot be verified: %s", name, topic.SubscriptionsError.Error())
			return v
		}
		confirmed, pending := 0, 0
		var protocols []string
		for _, sub := range topic.Subscriptions {
			if sub.Confirmed {
				confirmed++
				protocols = append(protocols, sub.Protocol)
			} else {
				pending++
			}
		}
		if confirmed == 0 {
			v.State = linkBroken
			v.Reason = fmt.Sprintf("SNS topic %s has no confirmed subscription", name)
			if pending > 0 {
				v.Reason += fmt.Sprintf(" (%d PendingConfirmation: nobody receives the message)", pending)
			} else {
				v.Reason += " (no subscribers at all)"
			}
			return v
		}
		sort.Strings(protocols)
		v.State, v.Reason = linkOK, fmt.Sprintf("SNS topic %s (%d confirmed subscription(s): %s)", name, confirmed, strings.Join(protocols, ", "))
		return v
	}
	v.State, v.Reason, v.absent = linkBroken, fmt.Sprintf("SNS topic %s does not exist in account %s, %s", name, a.Account, a.Region), true
	return v
}

// ruleVerdict is the judgement of one EventBridge rule against one detection.
type ruleVerdict struct {
	Rule     string            `json:"rule"`
	Region   string            `json:"region"`
	State    string            `json:"state"`
	Pattern  string            `json:"event_pattern"`
	Verdict  string            `json:"pattern_verdict"`
	Targets  []targetVerdict   `json:"targets"`
	Problems []string          `json:"problems,omitempty"`
	status   Status            // Pass, Fail or Error
	score    int               // links that hold: the closest rule is the one with the highest
	relevant bool              // the pattern matches at least one positive
	pattern  detection.Verdict //
	okTarget string            // the reason of the first target that does the job
}

// ruleEnabled: ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS also delivers the events.
func ruleEnabled(state string) bool {
	return state == "ENABLED" || state == "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
}

// onDefaultBus: AWS services deliver their events only to the default bus.
func onDefaultBus(r snapshot.Rule) bool {
	return r.EventBusName == "" || r.EventBusName == "default"
}

// judgeRule evaluates rule (read in region) against d and its targets against policy.
func judgeRule(s *snapshot.Snapshot, region string, rule snapshot.Rule, d detection.Detection, policy targetPolicy) ruleVerdict {
	v := ruleVerdict{Rule: rule.Name, Region: region, State: rule.State, Pattern: rule.EventPattern, Targets: []targetVerdict{}, status: Fail}
	if rule.EventPattern == "" {
		v.Verdict = "no event pattern (scheduled rule)"
		return v
	}
	pv, err := d.EvaluateEventPattern(rule.EventPattern)
	if err != nil {
		// EventBridge accepted this pattern when the rule was saved, so a pattern lookout
		// cannot evaluate is lookout's blind spot, not the rule's fault: the rule might well
		// do the job. Unless another rule passes, the verdict is ERROR, never FAIL or PASS.
		v.Verdict = "pattern could not be evaluated: " + err.Error()
		v.Problems = append(v.Problems, "its event pattern could not be evaluated: "+err.Error())
		v.status, v.relevant = Error, true
		return v
	}
	v.pattern, v.Verdict = pv, pv.String()
	positives := len(d.Positives) + len(d.AnyOf)
	v.relevant = len(pv.MissedPositives) < positives
	if !v.relevant {
		return v
	}
	v.score = 1
	if len(pv.MissedPositives) == 0 {
		v.score++
	} else {
		v.Problems = append(v.Problems, "its pattern misses "+eventList(pv.MissedPositives))
	}
	if len(pv.MatchedNegatives) == 0 {
		v.score++
	} else {
		v.Problems = append(v.Problems, "its pattern also matches "+eventList(pv.MatchedNegatives))
	}
	if ruleEnabled(rule.State) {
		v.score++
	} else {
		v.Problems = append(v.Problems, fmt.Sprintf("it is %s", orUnknown(rule.State)))
	}
	unknown := false
	switch {
	case rule.TargetsError != nil:
		unknown = true
		v.Problems = append(v.Problems, "its targets could not be read: "+rule.TargetsError.Error())
	case len(rule.Targets) == 0:
		v.Problems = append(v.Problems, "it has no target")
	default:
		var broken []string
		for _, t := range rule.Targets {
			tv := judgeTarget(s, t.ARN, policy)
			v.Targets = append(v.Targets, tv)
			switch tv.State {
			case linkOK:
				if v.okTarget == "" {
					v.okTarget = tv.Reason
				}
			case linkUnknown:
				unknown = true
				broken = append(broken, tv.Reason)
			default:
				broken = append(broken, tv.Reason)
			}
		}
		if v.okTarget == "" {
			v.Problems = append(v.Problems, "no usable target: "+strings.Join(broken, "; "))
		}
	}
	if v.okTarget != "" {
		v.score++
	}
	switch {
	case len(v.Problems) == 0:
		v.status = Pass
	case unknown && v.okTarget == "" && v.score == 4:
		// Everything else holds: whether it passes depends on what could not be read.
		v.status = Error
	}
	return v
}

func orUnknown(s string) string {
	if s == "" {
		return "in an unknown state"
	}
	return s
}

// ruleSearch is the outcome of looking for a rule in one region.
type ruleSearch struct {
	best   *ruleVerdict // a passing rule, else the closest relevant one, else nil
	judged []ruleVerdict
	// unmatched maps the other event-pattern rules to their verdict, for evidence: a rule
	// the reader expected to see here is listed with what it misses.
	unmatched map[string]string
	missing   Finding // set (Status != "") when the region's rules could not be read
}

// searchRules judges every default-bus rule of region r and picks a passing rule, or the
// closest one. A region whose EventBridge section is absent or failed yields an ERROR
// finding built by c.
func searchRules(c *Check, s *snapshot.Snapshot, account string, r *snapshot.Region, resource string, d detection.Detection, policy targetPolicy) ruleSearch {
	var out ruleSearch
	switch {
	case r.EventBridge == nil:
		out.missing = c.notCollected(account, r.Name, resource, "EventBridge")
		return out
	case r.EventBridge.Error != nil:
		out.missing = c.readError(account, r.Name, resource, r.EventBridge.Error, "the EventBridge rules of "+r.Name)
		return out
	}
	for _, rule := range r.EventBridge.Rules {
		if !onDefaultBus(rule) {
			continue
		}
		v := judgeRule(s, r.Name, rule, d, policy)
		if !v.relevant {
			if rule.EventPattern != "" {
				if out.unmatched == nil {
					out.unmatched = map[string]string{}
				}
				out.unmatched[rule.Name] = v.Verdict
			}
			continue
		}
		out.judged = append(out.judged, v)
	}
	for i := range out.judged {
		v := &out.judged[i]
		if out.best == nil || better(v, out.best) {
			out.best = v
		}
	}
	return out
}

// better orders candidates: PASS first, then ERROR (it may pass), then by links that hold,
// then by name for a stable answer.
func better(a, b *ruleVerdict) bool {
	rank := func(v *ruleVerdict) int {
		switch v.status {
		case Pass:
			return 2
		case Error:
			return 1
		}
		return 0
	}
	if rank(a) != rank(b) {
		return rank(a) > rank(b)
	}
	if a.score != b.score {
		return a.score > b.score
	}
	return a.Rule < b.Rule
}

// ruleMessage describes a rule's verdict in one sentence.
func ruleMessage(v *ruleVerdict) string {
	if v.status == Pass {
		return fmt.Sprintf("rule %s (%s) matches; target: %s", v.Rule, v.State, v.okTarget)
	}
	return fmt.Sprintf("rule %s in %s: %s", v.Rule, v.Region, strings.Join(v.Problems, "; "))
}

// eventList names corpus events for a message: each in brackets, since event names contain
// commas ("IAM user console login, success, MFAUsed Yes").
func eventList(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "[" + n + "]"
	}
	return strings.Join(out, " and ")
}

// patternProblem says what a pattern that does not detect gets wrong.
func patternProblem(v detection.Verdict) string {
	var parts []string
	if len(v.MissedPositives) > 0 {
		parts = append(parts, "misses "+eventList(v.MissedPositives))
	}
	if len(v.MatchedNegatives) > 0 {
		parts = append(parts, "also matches "+eventList(v.MatchedNegatives))
	}
	return "its pattern " + strings.Join(parts, " and ")
}
