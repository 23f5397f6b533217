package route

import (
	"fmt"
	"strings"

	"github.com/lookout-audit/lookout/internal/awsarn"
	"github.com/lookout-audit/lookout/internal/iampolicy"
	"github.com/lookout-audit/lookout/internal/runbook"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// Invocable is not remediating. EventBridge may be allowed to invoke a remediation, but what
// the remediation then does is decided by its own identity:
//   - a Lambda function acts with its execution role (Configuration.Role), not with the
//     invoker's permission; it runs only when its state is Active, and never while its
//     reserved concurrency is 0 (what the console's Throttle button sets: every invocation is
//     throttled, EventBridge retries for up to 24 hours and then drops the event) (Lambda
//     developer guide, "Lambda execution role", "Lambda function states", "Configuring
//     reserved concurrency");
//   - an SSM Automation runbook acts with the AutomationAssumeRole it is given when its
//     document's assumeRole names that parameter (or a literal role), otherwise with the
//     permissions of whoever started it — for an EventBridge target, the target's role; the
//     starter must then be allowed iam:PassRole on the assumed role, which must trust
//     ssm.amazonaws.com (Systems Manager user guide, "Running an automation with an assumed
//     role"). What it calls is read from its aws:executeAwsApi steps.
//
// Service control policies also bound every call, and cannot be read from a member account:
// a verdict that holds says so rather than guess.

// More hops of a remediation, after the invocation.
const (
	HopFunctionState DeliveryHop = "function state"       // the function is not Active
	HopConcurrency   DeliveryHop = "reserved concurrency" // reserved concurrency 0 throttles every invocation
	HopExecutionRole DeliveryHop = "execution role"       // the function's role may not make the remediating call
	HopRunbook       DeliveryHop = "runbook steps"        // the runbook does not make the remediating call
	HopRunbookRole   DeliveryHop = "runbook role"         // the role the runbook runs with may not make it
)

// scpNote ends the reason of a remediation that holds.
const scpNote = " (service control policies are not visible from the account and were not judged)"

// judgeLambdaActs decides whether the Lambda function target, once invoked, runs — it is
// Active and its reserved concurrency is not 0, for a notifier as for a remediation — and,
// for a remediation, whether its execution role may make policy's call on policy's resource.
func judgeLambdaActs(s *snapshot.Snapshot, target string, policy TargetPolicy) (Verdict, string, DeliveryHop) {
	a, _ := awsarn.Parse(target)
	f, name, st, why := functionOf(s, a)
	switch {
	case st == Error:
		return st, why, ""
	case f == nil:
		return Fail, why, HopTarget
	case f.ConfigError != nil:
		return Error, fmt.Sprintf("whether Lambda function %s runs cannot be verified: %s", name, f.ConfigError.Error()), ""
	case !f.ConfigRead && !policy.remediates():
		// A notifier read before GetFunction was collected keeps the older judgement.
		return Pass, "", ""
	case !f.ConfigRead:
		return Error, fmt.Sprintf("the configuration of Lambda function %s (state, reserved concurrency) was not collected", name), ""
	case f.State != "Active":
		return Fail, fmt.Sprintf("Lambda function %s is in state %s, not Active, so its invocations fail", name, orDefault(f.State, "unknown")), HopFunctionState
	case f.ReservedConcurrency != nil && *f.ReservedConcurrency == 0:
		return Fail, fmt.Sprintf("Lambda function %s has reserved concurrency 0 (throttled): every invocation is refused until EventBridge drops the event", name), HopConcurrency
	case policy.resource == "":
		return Pass, "", ""
	case f.Role == "":
		return Error, fmt.Sprintf("the execution role of Lambda function %s is not known", name), ""
	}
	role, st, why := findRole(s, f.Role)
	if st != Pass {
		if st == Fail {
			return st, fmt.Sprintf("the execution role %s of Lambda function %s does not exist, so the function cannot call %s", f.Role, name, policy.action), HopExecutionRole
		}
		return st, fmt.Sprintf("what Lambda function %s may call cannot be verified: %s", name, why), ""
	}
	if st, why := rolePermits(*role, awsarn.AccountOf(f.Role), policy.action, policy.resource, ""); st != Pass {
		if st == Fail {
			why = fmt.Sprintf("Lambda function %s acts with its execution role %s, and %s", name, role.Name, lowerFirst(why))
			return st, why, HopExecutionRole
		}
		return st, why, ""
	}
	return Pass, fmt.Sprintf("its execution role %s may call %s on %s", role.Name, policy.action, policy.resource), ""
}

// judgeRunbookActs decides whether an SSM Automation target, once started, can remediate:
// its document calls policy's action, and the role it runs with may make that call.
func judgeRunbookActs(s *snapshot.Snapshot, t snapshot.Target, docName string, policy TargetPolicy) (Verdict, string, DeliveryHop) {
	a, _ := awsarn.Parse(t.ARN)
	version := ""
	if _, v, ok := strings.Cut(strings.TrimPrefix(a.Resource, "automation-definition/"), ":"); ok {
		version = v
	}
	r, where := s.FindRegion(orDefault(a.Account, awsarn.AccountOf(t.RoleARN)), a.Region)
	switch {
	case r == nil:
		return Error, fmt.Sprintf("runbook %s cannot be read: %s", docName, where), ""
	case r.Runbooks == nil:
		return Error, fmt.Sprintf("the steps of runbook %s were not collected (ssm:GetDocument)", docName), ""
	}
	var rb *snapshot.Runbook
	for i := range r.Runbooks.Documents {
		if d := &r.Runbooks.Documents[i]; d.Name == docName && d.Version == version {
			rb = d
		}
	}
	switch {
	case rb == nil:
		return Error, fmt.Sprintf("the steps of runbook %s were not collected (ssm:GetDocument)", docName), ""
	case rb.Error != nil:
		return Error, fmt.Sprintf("the steps of runbook %s cannot be read: %s", docName, rb.Error.Error()), ""
	case rb.NotFound:
		return Fail, fmt.Sprintf("runbook %s does not exist, so the automation cannot start", docName), HopTarget
	}
	doc, err := runbook.Parse(rb.Content)
	if err != nil {
		return Error, fmt.Sprintf("runbook %s could not be read: %v", docName, err), ""
	}
	call, calls := doc.CallsAction(policy.action)
	switch {
	case !calls && len(doc.Opaque) > 0:
		return Error, fmt.Sprintf("runbook %s calls %s from steps lookout cannot read (%s), if at all", docName, policy.action, strings.Join(doc.Opaque, ", ")), ""
	case !calls:
		return Fail, fmt.Sprintf("runbook %s has no step that calls %s", docName, policy.action), HopRunbook
	case policy.resource == "":
		return Pass, "", ""
	}
	// The role the runbook acts with.
	runAs, how := t.RoleARN, "the role that starts it ("+t.RoleARN+")"
	switch p := doc.RoleParameter(); {
	case p == "AutomationAssumeRole" && t.AutomationAssumeRole != "":
		runAs, how = t.AutomationAssumeRole, "the AutomationAssumeRole it is passed ("+t.AutomationAssumeRole+")"
	case p != "":
		// The parameter is not given by a constant Input lookout read: the document's
		// default, or an input transformer, decides, and neither is read.
		return Error, fmt.Sprintf("runbook %s runs with the role in its parameter %s, which the target does not pass as a constant", docName, p), ""
	case doc.AssumeRole != "":
		runAs, how = doc.AssumeRole, "its document's assumeRole ("+doc.AssumeRole+")"
	}
	role, st, why := findRole(s, runAs)
	if st != Pass {
		if st == Fail {
			return st, fmt.Sprintf("runbook %s runs with %s, which does not exist", docName, how), HopRunbookRole
		}
		return st, fmt.Sprintf("the role runbook %s runs with cannot be verified: %s", docName, why), ""
	}
	if runAs != t.RoleARN {
		// Starting an automation with another role passes that role to Systems Manager.
		req := iampolicy.ServiceRequest("ssm.amazonaws.com", "sts:AssumeRole", "", "", "")
		if st, why, _ := policyVerdict(role.TrustPolicy, "role "+role.Name+" (trust policy)", req, HopRunbookRole); st != Pass {
			return st, fmt.Sprintf("runbook %s runs with %s: %s", docName, how, why), HopRunbookRole
		}
		if starter, st, why := findRole(s, t.RoleARN); st != Pass {
			return st, "the role that starts runbook " + docName + " cannot be verified: " + why, HopRunbookRole
		} else if st, why := rolePermits(*starter, awsarn.AccountOf(t.RoleARN), "iam:PassRole", runAs, ""); st != Pass {
			return st, fmt.Sprintf("runbook %s is to run with %s, but %s", docName, how, lowerFirst(why)), HopRunbookRole
		}
	}
	if st, why := rolePermits(*role, awsarn.AccountOf(runAs), policy.action, policy.resource, ""); st != Pass {
		if st == Fail {
			return st, fmt.Sprintf("runbook %s step %s calls %s with %s, and %s", docName, call.Step, policy.action, how, lowerFirst(why)), HopRunbookRole
		}
		return st, why, ""
	}
	return Pass, fmt.Sprintf("its step %s calls %s with %s, which may call it on %s", call.Step, policy.action, how, policy.resource), ""
}

// findRole finds an IAM role in the snapshot: broken when IAM said it does not exist,
// unknown when it was not read or lies outside the scan.
func findRole(s *snapshot.Snapshot, roleARN string) (*snapshot.Role, Verdict, string) {
	ra, ok := awsarn.Parse(roleARN)
	if !ok || ra.Service != "iam" {
		return nil, Fail, fmt.Sprintf("%q is not an IAM role ARN", roleARN)
	}
	for i := range s.Accounts {
		acct := &s.Accounts[i]
		if acct.ID != ra.Account {
			continue
		}
		for j := range acct.Roles {
			role := &acct.Roles[j]
			switch {
			case role.ARN != roleARN:
				continue
			case role.Error != nil:
				return nil, Error, fmt.Sprintf("role %s could not be read: %s", roleARN, role.Error.Error())
			case role.NotFound:
				return nil, Fail, fmt.Sprintf("role %s does not exist", roleARN)
			}
			return role, Pass, ""
		}
		return nil, Error, fmt.Sprintf("role %s was not collected", roleARN)
	}
	return nil, Error, fmt.Sprintf("role %s is in account %s, which is not in this scan", roleARN, ra.Account)
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// orDefault is s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
