package checks

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"

	"github.com/lookout-audit/lookout/internal/plan"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// planStopLoggingRemediation deploys the StopLogging auto-remediation design (EventBridge rule
// on StopLogging → Lambda → StartLogging) for one logging trail, in its home region (the only
// region that sees StopLogging on it):
//   - an IAM role for the function, allowed only cloudtrail:StartLogging and GetTrailStatus on
//     this account's trails, and writing its own logs;
//   - the Lambda function lookout-stoplogging-remediation (Python, lookout's embedded source,
//     zipped in memory), which restarts the trail the event names;
//   - the rule lookout-stoplogging-<trail> on StopLogging of this trail, by name or ARN (and
//     only from source aws.cloudtrail, so a custom event cannot fire it), targeting the function;
//   - the Lambda permission letting events.amazonaws.com invoke it from that rule only.
//
// One function and role serve every trail of the region; each trail has its own rule. Parts the
// snapshot shows present (the function, the rule, its target) are not planned again.
func planStopLoggingRemediation(s *snapshot.Snapshot, f Finding, _ FixOptions) ([]plan.Action, string, error) {
	a, err := fixAccount(s, f.Account)
	if err != nil {
		return nil, "", err
	}
	t := a.Trail(f.Resource)
	if t == nil {
		return nil, "", fmt.Errorf("trail %s is not in the snapshot", f.Resource)
	}
	home := t.HomeRegion
	r, err := fixRegion(a, home)
	if err != nil {
		return nil, "", err
	}
	p, acct := fixPartition(a), a.ID
	roleARN := fixARN(p, "iam", "", acct, "role/"+fixRemediationName)
	fnARN := fixARN(p, "lambda", home, acct, "function:"+fixRemediationName)
	rule := stopLoggingRuleName(t.Name)
	ruleARN := fixARN(p, "events", home, acct, "rule/"+rule)

	var out []plan.Action
	fnExists := false
	if r.Lambda != nil {
		for _, fn := range r.Lambda.Functions {
			fnExists = fnExists || fn.Name == fixRemediationName
		}
	}
	if !fnExists {
		trust := fixPolicy(map[string]any{
			"Effect": "Allow", "Principal": map[string]any{"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"})
		perms := fixPolicy(
			map[string]any{"Sid": "RestartTrails", "Effect": "Allow",
				"Action":   []string{"cloudtrail:StartLogging", "cloudtrail:GetTrailStatus"},
				"Resource": fixARN(p, "cloudtrail", "*", acct, "trail/*")},
			map[string]any{"Sid": "OwnLogs", "Effect": "Allow",
				"Action":   []string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"},
				"Resource": fixARN(p, "logs", "*", acct, "log-group:/aws/lambda/"+fixRemediationName+":*")},
		)
		out = append(out,
			plan.Action{Region: home, Target: roleARN, Effect: plan.Create,
				Params: plan.CreateRole{RoleName: fixRemediationName, AssumeRolePolicyDocument: trust, Tags: fixTags(),
					Description: "lookout: the StopLogging remediation function restarts trails"},
				Why: "the execution role of the remediation function"},
			plan.Action{Region: home, Target: roleARN, Effect: plan.Configure,
				Params: plan.PutRolePolicy{RoleName: fixRemediationName, PolicyName: fixRemediationPolicy, PolicyDocument: perms},
				Why:    "allows only StartLogging and GetTrailStatus on this account's trails, and the function's own logs"},
			plan.Action{Region: home, Target: fnARN, Effect: plan.Create,
				Params: plan.CreateFunction{
					FunctionName: fixRemediationName, Runtime: "python3.12", Role: roleARN,
					Handler: "stoplogging_remediation.lambda_handler", Timeout: 30, MemorySize: 128,
					Code:        plan.EmbeddedCode{Embedded: "stoplogging_remediation.py"},
					Description: "lookout: restart a CloudTrail trail when StopLogging is called on it",
					Tags:        fixTagMap(),
				},
				Why: "calls StartLogging on the trail named in the StopLogging event"},
		)
	}
	pattern := mustPattern(map[string]any{
		"source":      []string{"aws.cloudtrail"},
		"detail-type": []string{"AWS API Call via CloudTrail"},
		"detail": map[string]any{
			"eventSource":       []string{"cloudtrail.amazonaws.com"},
			"eventName":         []string{"StopLogging"},
			"requestParameters": map[string]any{"name": []string{t.Name, t.ARN}},
		},
	})
	ruleActs := ruleActions(a, home, ruleSpec{
		name: rule, pattern: pattern, targetID: "lookout-remediate", targetARN: fnARN,
		description: "lookout: restart trail " + t.Name + " when StopLogging is called on it",
		why:         fmt.Sprintf("matches StopLogging on trail %s by name or ARN, in its home region %s", t.Name, home),
	})
	out = append(out, ruleActs...)
	if len(ruleActs) > 0 {
		out = append(out, plan.Action{Region: home, Target: fnARN, Effect: plan.Configure,
			Params: plan.AddPermission{FunctionName: fixRemediationName, StatementID: fixLambdaStatementPre + rule,
				Action: "lambda:InvokeFunction", Principal: "events.amazonaws.com", SourceARN: ruleARN},
			Why: "lets EventBridge invoke the function from rule " + rule + " only"})
	}
	if len(out) == 0 {
		return nil, "lookout's function and rule for this trail are in place, yet the check fails: see the finding", nil
	}
	return out, "", nil
}

var ruleNameUnsafe = regexp.MustCompile(`[^.\-_A-Za-z0-9]`)

// stopLoggingRuleName is lookout-stoplogging-<trail>, within EventBridge's 64 characters and
// alphabet; a long trail name is shortened with a hash so two trails never share a rule.
func stopLoggingRuleName(trail string) string {
	name := "lookout-stoplogging-" + ruleNameUnsafe.ReplaceAllString(trail, "-")
	if len(name) <= 64 {
		return name
	}
	sum := sha256.Sum256([]byte(trail))
	return name[:55] + "-" + hex.EncodeToString(sum[:4])
}
