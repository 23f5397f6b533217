package checks

import (
	"fmt"
	"sort"
	"strings"

	"github.com/lookout-audit/lookout/internal/agentconfig"
	"github.com/lookout-audit/lookout/internal/detection"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// SSHLoginAlarm verifies that an SSH login on an instance reaches a person (seed 000): every
// log group of a region that CloudWatch Agent configurations ship SSH logs to carries a metric
// filter matching "Accepted publickey for ... ssh2" lines, with the same alarm → SNS →
// confirmed subscriber chain as the CIS alarm checks (EvaluateAlarmChain).
var SSHLoginAlarm = Check{
	ID:       "cloudwatch-ssh-login-alarm",
	Title:    "SSH logins raise a CloudWatch alarm",
	Severity: Medium,
	Service:  "logs",
	Verifies: "For each log group of the region that an applied CloudWatch Agent configuration sends /var/log/auth.log " +
		"or /var/log/secure to (placeholders resolved): a metric filter on that group, in its own account and region, " +
		"whose pattern — evaluated against sshd log lines, not compared as text — matches \"Accepted publickey for ... " +
		"from ... port ... ssh2\" lines and no failed-password, invalid-user, disconnect or PAM session line, with a " +
		"metric value > 0; an alarm on that metric that one matching line raises (e.g. Sum >= 1, 1 of 1 datapoints), " +
		"actions enabled; and an alarm action that is an SNS topic with a confirmed subscriber that receives the " +
		"notification. Every SSH log group of the region must have a complete chain." + deliveryVerifies,
	Remediation: "On each SSH log group create a metric filter with pattern " + detection.RefSSHLogin + " (metric value 1), " +
		"an alarm on its metric (Sum >= 1, period 60, 1 of 1 datapoints) and an SNS topic with a confirmed subscriber as the alarm action.",
	FixSummary: "create metric filter lookout-ssh-login (namespace lookout/SSH), an alarm and SNS wiring on each SSH log group whose chain is broken",
	Run:        runSSHLoginAlarm,
}

func runSSHLoginAlarm(c *Check, s *snapshot.Snapshot, _ Options) []Finding {
	d := detection.SSHLogin()
	var out []Finding
	for ai := range s.Accounts {
		a := &s.Accounts[ai]
		for ri := range a.Regions {
			r := &a.Regions[ri]
			groups := sshLogGroups(r)
			if len(groups) == 0 {
				continue
			}
			out = append(out, c.sshAlarmFinding(s, a.ID, r.Name, groups, d))
		}
	}
	return out
}

// sshLogGroups are the log groups of a region that hold SSH logs: those the configurations
// applied to its managed Linux instances send an SSH log file to, when the group exists (or
// when the log groups could not be listed, so that the chain reports ERROR rather than the
// region going silent). A region whose SSM data was not read is left to
// ssm-cloudwatch-agent-ssh-logs, which reports it as ERROR.
func sshLogGroups(r *snapshot.Region) []string {
	if r.SSM == nil || r.SSM.Error != nil {
		return nil
	}
	configs := map[string]*snapshot.AgentConfig{}
	for i := range r.SSM.AgentConfigs {
		configs[r.SSM.AgentConfigs[i].Parameter] = &r.SSM.AgentConfigs[i]
	}
	set := map[string]bool{}
	for i := range r.SSM.ManagedInstances {
		mi := &r.SSM.ManagedInstances[i]
		if mi.PlatformType != "Linux" {
			continue
		}
		for _, src := range agentconfig.Resolve(r.SSM, mi).Sources {
			cfg := configs[src.Parameter]
			if cfg == nil || src.Config != "ssm" {
				continue
			}
			for _, f := range cfg.Files {
				if !matchesAny(f.FilePath, agentconfig.KnownSSHLogPaths) {
					continue
				}
				if g, err := agentconfig.Expand(f.LogGroupName, mi); err == nil {
					set[g] = true
				}
			}
		}
	}
	var out []string
	for g := range set {
		if r.Logs == nil || r.Logs.Error != nil || findLogGroup(r.Logs, g) != nil {
			out = append(out, g)
		}
	}
	sort.Strings(out)
	return out
}

func (c *Check) sshAlarmFinding(s *snapshot.Snapshot, account, region string, groups []string, d detection.Detection) Finding {
	verdicts := make([]AlarmChainVerdict, len(groups))
	var evidence []map[string]any
	var failing []string
	status := Pass
	for i, g := range groups {
		v := EvaluateAlarmChain(s, LogGroupRef{Account: account, Region: region, Name: g, Partition: partitionOf(s, account)}, d)
		verdicts[i] = v
		ev := map[string]any{"log_group": g, "verdict": string(v.Status), "message": v.Message}
		for k, val := range v.Evidence {
			ev[k] = val
		}
		evidence = append(evidence, ev)
		switch v.Status {
		case Pass:
			continue
		case Fail:
			status = Fail
			failing = append(failing, fmt.Sprintf("log group %s: broken link: %s — %s", g, v.Broken, v.Message))
		default:
			if status != Fail {
				status = Error
			}
			failing = append(failing, fmt.Sprintf("log group %s: %s", g, v.Message))
		}
	}
	var f Finding
	if status == Pass {
		var msgs []string
		for _, v := range verdicts {
			msgs = append(msgs, fmt.Sprintf("log group %s: %s", v.LogGroup.Name, v.Message))
		}
		f = c.finding(account, region, verdicts[0].Resource, Pass, strings.Join(msgs, "; "))
	} else {
		resource := verdicts[0].Resource
		for _, v := range verdicts {
			if v.Status == status {
				resource = v.Resource
				break
			}
		}
		f = c.finding(account, region, resource, status, strings.Join(failing, "; "))
	}
	f.Evidence = map[string]any{"detection": d.Summary, "ssh_log_groups": evidence}
	if status == Fail {
		f.Fix = &FixHint{Available: true, Summary: "create metric filter " + fixSSHFilter + " (" + detection.RefSSHLogin + ", namespace " + fixSSHNamespace + "), an alarm (Sum >= 1, 1 of 1) and SNS wiring (--sns-topic-arn or --notify-email) on each SSH log group whose chain is broken"}
	}
	return f
}
