package checks

import (
	"fmt"
	"sort"
	"strings"

	"github.com/lookout-audit/lookout/internal/agentconfig"
	"github.com/lookout-audit/lookout/internal/plan"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// What lookout creates to ship SSH logs: its agent configuration (the name starts with
// AmazonCloudWatch- so that CloudWatchAgentServerPolicy lets the agent read it), the log group,
// and per instance an install and a configure association.
const (
	fixAgentConfigParam = "AmazonCloudWatch-lookout-ssh"
	fixSSHLogGroup      = "lookout-ssh-logs"
	fixStreamTemplate   = agentconfig.DefaultStreamName
	configureAWSPackage = "AWS-ConfigureAWSPackage"
)

// planSSMAgentSSHLogs makes an instance's CloudWatch Agent collect its distribution's SSH log:
//   - an instance configured from a Parameter Store configuration that misses the path gets the
//     path added to that configuration (a merge: the user's entries stay), sent to the log
//     group its other SSH entries use, else to lookout-ssh-logs; on a distribution that ships
//     without a syslog daemon (Amazon Linux 2023, Debian 12), unless SSM Inventory lists one,
//     a journald entry for sshd's unit instead, as the file would never be written;
//   - an instance nothing configures gets lookout's configuration, an association of
//     AWS-ConfigureAWSPackage installing the agent (idempotent where it is installed: lookout
//     cannot see whether it is) and an association of AmazonCloudWatch-ManageAgent applying the
//     configuration, both targeting that instance by id.
//
// An instance that is configured correctly but whose stream is stale is not something a
// configuration change fixes (the agent, the instance profile or the instance itself is at
// fault): nothing is planned, and the note says so.
func planSSMAgentSSHLogs(s *snapshot.Snapshot, f Finding, _ FixOptions) ([]plan.Action, string, error) {
	a, r, err := fixAccountRegion(s, f)
	if err != nil {
		return nil, "", err
	}
	if r.SSM == nil {
		return nil, "", fmt.Errorf("SSM was not read in %s", r.Name)
	}
	var mi *snapshot.ManagedInstance
	for i := range r.SSM.ManagedInstances {
		if r.SSM.ManagedInstances[i].InstanceID == f.Resource {
			mi = &r.SSM.ManagedInstances[i]
		}
	}
	if mi == nil {
		return nil, "", fmt.Errorf("managed instance %s is not in the snapshot", f.Resource)
	}
	if mi.PingStatus != "Online" {
		return nil, fmt.Sprintf("%s is not reporting to SSM (ping %s): no association can reach its agent until it does", mi.InstanceID, orDefault(mi.PingStatus, "unknown")), nil
	}
	path, known := agentconfig.SSHLogPath(mi.PlatformName)
	if !known {
		return nil, fmt.Sprintf("lookout does not know where %q writes SSH logins: add the file to the agent configuration by hand", mi.PlatformName), nil
	}
	// Where the distribution ships without a syslog daemon and the inventory does not show
	// one installed, sshd's file is never written: the agent collects the journal instead.
	unit, _ := agentconfig.SSHUnit(mi.PlatformName)
	viaJournal := agentconfig.JournalOnly(mi.PlatformName, mi.PlatformVersion) && (mi.Syslog == nil || len(mi.Syslog.Daemons) == 0)
	carrier := path
	if viaJournal {
		carrier = "the journal of " + unit
	}
	res := agentconfig.Resolve(r.SSM, mi)
	if res.Stopped != nil {
		return nil, fmt.Sprintf("the agent on %s was stopped by %s: lookout does not restart what someone stopped", mi.InstanceID, res.Stopped.Describe()), nil
	}
	configs := map[string]*snapshot.AgentConfig{}
	for i := range r.SSM.AgentConfigs {
		configs[r.SSM.AgentConfigs[i].Parameter] = &r.SSM.AgentConfigs[i]
	}
	p := fixPartition(a)
	var params []string
	for _, src := range res.Sources {
		if src.Config != "ssm" || src.Parameter == "" {
			continue
		}
		cfg := configs[src.Parameter]
		if cfg != nil && cfg.Error == nil {
			for _, file := range cfg.Files {
				if !viaJournal && matchesAny(file.FilePath, []string{path}) && agentconfig.FileFiltersCarrySSH(file.Filters).Ships {
					return nil, fmt.Sprintf("%s's agent configuration %s already collects %s: the agent is not shipping it (check the agent, its instance profile's CloudWatch Logs permissions, and that sshd writes the file)", mi.InstanceID, src.Parameter, path), nil
				}
			}
			for _, e := range cfg.Journal {
				if agentconfig.JournalCarriesSSH(e, unit).Ships {
					return nil, fmt.Sprintf("%s's agent configuration %s already collects the journal of %s: the agent is not shipping it (check the agent is 1.300070.0 or later, and its instance profile's CloudWatch Logs permissions)", mi.InstanceID, src.Parameter, unit), nil
				}
			}
		}
		params = append(params, src.Parameter)
	}
	var out []plan.Action
	if len(params) > 0 {
		// Configured, but without the SSH log: add it to the configuration that applies last.
		param := params[len(params)-1]
		group := fixSSHLogGroup
		if cfg := configs[param]; cfg != nil {
			for _, d := range agentconfig.SSHDestinations(cfg) {
				if !strings.Contains(d.Group, "{") {
					group = d.Group
				}
			}
		}
		out = append(out, sshLogGroupActions(a, r, group)...)
		out = append(out, agentConfigAction(p, a.ID, r.Name, param, carrier, viaJournal, path, unit, group, plan.Change))
		return out, fmt.Sprintf("the agent picks the change up when the association or command that applies %s runs again "+
			"(aws ssm start-associations-once, or rerun the command)", param), nil
	}
	if res.Failed != nil {
		return nil, fmt.Sprintf("the last ManageAgent command on %s failed (%s): find out why before lookout adds another", mi.InstanceID, res.Failed.Describe()), nil
	}
	out = append(out, sshLogGroupActions(a, r, fixSSHLogGroup)...)
	out = append(out, agentConfigAction(p, a.ID, r.Name, fixAgentConfigParam, carrier, viaJournal, path, unit, fixSSHLogGroup, plan.Configure))
	target := []plan.AssociationTarget{{Key: "InstanceIds", Values: []string{mi.InstanceID}}}
	out = append(out,
		plan.Action{Region: r.Name,
			Target: fixARN(p, "ssm", r.Name, a.ID, "association/lookout-cwagent-install-"+mi.InstanceID), Effect: plan.Create,
			Params: plan.CreateAssociation{Name: configureAWSPackage, AssociationName: "lookout-cwagent-install-" + mi.InstanceID,
				Targets: target, Parameters: map[string][]string{"action": {"Install"}, "name": {"AmazonCloudWatchAgent"}},
				Tags: fixTags()},
			Why: "installs the CloudWatch Agent on " + mi.InstanceID + " (a no-op where it is installed)"},
		plan.Action{Region: r.Name,
			Target: fixARN(p, "ssm", r.Name, a.ID, "association/"+sshAssociationName(mi.InstanceID)), Effect: plan.Create,
			Params: plan.CreateAssociation{Name: agentconfig.ManageAgentDocument, AssociationName: sshAssociationName(mi.InstanceID),
				Targets: target, Parameters: map[string][]string{
					agentconfig.ParamAction: {"configure"}, agentconfig.ParamMode: {"ec2"},
					agentconfig.ParamConfigSource: {"ssm"}, agentconfig.ParamConfigLocation: {fixAgentConfigParam},
					agentconfig.ParamRestart: {"yes"}},
				Tags: fixTags()},
			Why: "applies " + fixAgentConfigParam + " to the agent on " + mi.InstanceID + " and restarts it"},
	)
	return out, "the instance profile of " + mi.InstanceID + " needs CloudWatch Logs write access (CloudWatchAgentServerPolicy) for the agent to ship", nil
}

func sshAssociationName(instance string) string { return "lookout-cwagent-ssh-" + instance }

// sshLogGroupActions creates the SSH log group lookout sends to, when absent (the agent would
// create it, but only once data flows; creating it lets the SSH alarm be wired now).
func sshLogGroupActions(a *snapshot.Account, r *snapshot.Region, group string) []plan.Action {
	if r.Logs != nil && findLogGroup(r.Logs, group) != nil {
		return nil
	}
	if group != fixSSHLogGroup {
		return nil // the user's group: the agent creates it on first delivery
	}
	return []plan.Action{{Region: r.Name,
		Target: fixARN(fixPartition(a), "logs", r.Name, a.ID, "log-group:"+group), Effect: plan.Create,
		Params: plan.CreateLogGroup{LogGroupName: group, Tags: fixTagMap()},
		Why:    "receives the SSH logs, one stream per instance"}}
}

// agentConfigAction adds the SSH log to an agent configuration: the file path, or, viaJournal,
// a journald entry for sshd's unit.
func agentConfigAction(partition, account, region, param, carrier string, viaJournal bool, path, unit, group string, effect plan.Effect) plan.Action {
	put := plan.PutParameter{Name: param}
	if viaJournal {
		put.AddJournal = []plan.AgentJournalEntry{{LogGroupName: group, LogStreamName: fixStreamTemplate, Units: []string{unit}}}
	} else {
		put.AddLogFiles = []plan.AgentLogFile{{FilePath: path, LogGroupName: group, LogStreamName: fixStreamTemplate}}
	}
	why := fmt.Sprintf("adds %s → %s/%s to the agent configuration (read and merged at apply time: existing entries are kept)", carrier, group, fixStreamTemplate)
	if viaJournal {
		why += "; this distribution ships without a syslog daemon, so sshd logs only to the journal (agent 1.300070.0 or later collects it)"
	}
	return plan.Action{Region: region,
		Target: fixARN(partition, "ssm", region, account, "parameter/"+param), Effect: effect,
		Params: put, Why: why}
}

// projectSSMAgentSSHLogs adds the configurations, associations and log groups the plans create,
// so that cloudwatch-ssh-login-alarm wires an alarm to the SSH log groups in the same run.
func projectSSMAgentSSHLogs(s *snapshot.Snapshot, plans []plan.Plan, _ FixOptions) {
	for _, pl := range plans {
		a, err := fixAccount(s, pl.Account)
		if err != nil {
			continue
		}
		r := a.Region(pl.Region)
		if r == nil || r.SSM == nil {
			continue
		}
		for _, act := range pl.Actions {
			switch params := act.Params.(type) {
			case plan.CreateLogGroup:
				if r.Logs != nil && findLogGroup(r.Logs, params.LogGroupName) == nil {
					r.Logs.LogGroups = append(r.Logs.LogGroups, snapshot.LogGroup{Name: params.LogGroupName, ARN: act.Target})
				}
			case plan.PutParameter:
				var cfg *snapshot.AgentConfig
				for i := range r.SSM.AgentConfigs {
					if r.SSM.AgentConfigs[i].Parameter == params.Name {
						cfg = &r.SSM.AgentConfigs[i]
					}
				}
				if cfg == nil {
					r.SSM.AgentConfigs = append(r.SSM.AgentConfigs, snapshot.AgentConfig{Parameter: params.Name})
					cfg = &r.SSM.AgentConfigs[len(r.SSM.AgentConfigs)-1]
				}
				cfg.Error = nil
				for _, add := range params.AddLogFiles {
					cfg.Files = append(cfg.Files, snapshot.AgentLogFile{FilePath: add.FilePath, LogGroupName: add.LogGroupName, LogStreamName: add.LogStreamName})
				}
				for _, add := range params.AddJournal {
					cfg.Journal = append(cfg.Journal, snapshot.AgentJournalEntry{LogGroupName: add.LogGroupName, LogStreamName: add.LogStreamName, Units: add.Units})
				}
			case plan.CreateAssociation:
				if params.Name != agentconfig.ManageAgentDocument {
					continue
				}
				as := snapshot.Association{AssociationID: "planned-" + params.AssociationName,
					AssociationName: params.AssociationName, Name: params.Name, Parameters: params.Parameters}
				for _, t := range params.Targets {
					as.Targets = append(as.Targets, snapshot.AssociationTarget{Key: t.Key, Values: t.Values})
				}
				r.SSM.Associations = append(r.SSM.Associations, as)
			}
		}
		sort.SliceStable(r.SSM.AgentConfigs, func(i, j int) bool { return r.SSM.AgentConfigs[i].Parameter < r.SSM.AgentConfigs[j].Parameter })
	}
}
