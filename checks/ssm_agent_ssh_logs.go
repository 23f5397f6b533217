package checks

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lookout-audit/lookout/internal/agentconfig"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// SSMAgentSSHLogs verifies, per SSM-managed Linux instance, the whole path by which its SSH
// logins reach CloudWatch Logs (as in the auth.log SSH-login alarm design and the AWS
// Well-Architected security lab): an AmazonCloudWatch-ManageAgent association or command puts
// a configuration into its CloudWatch Agent, that configuration collects the file sshd writes
// on this distribution, and the agent is demonstrably shipping it — the instance's own stream
// received data recently.
func SSMAgentSSHLogs() *Check {
	return &Check{
		ID:       "ssm-cloudwatch-agent-ssh-logs",
		Title:    "CloudWatch Agent ships this instance's SSH log to CloudWatch Logs",
		Severity: High,
		Service:  "ssm",
		Verifies: "The instance reports to SSM (ping status Online); an AmazonCloudWatch-ManageAgent State Manager " +
			"association targets it (by instance id, \"*\", tag or tag key) or else its latest successful ManageAgent " +
			"command configured it, from a Parameter Store configuration whose collect_list covers the SSH log of its " +
			"distribution (/var/log/auth.log on Ubuntu/Debian, /var/log/secure on Amazon Linux and the Red Hat family; " +
			"globs honoured); and the instance's own stream in that log group (placeholders such as {instance_id} " +
			"resolved) received data within --ssh-log-max-age (default 24h).",
		Remediation: "Store an agent configuration named AmazonCloudWatch-* whose collect_list sends the distribution's SSH " +
			"log to a log group with log_stream_name {instance_id}, and apply it with a State Manager association of " +
			"AmazonCloudWatch-ManageAgent (action configure, optionalConfigurationSource ssm) targeting the instances " +
			"by tag; the instance profile needs CloudWatchAgentServerPolicy.",
		FixSummary: "add the platform's SSH log path to the agent configuration that applies (merged, never dropping entries), " +
			"or give an uncovered instance a lookout configuration through a ManageAgent association",
		Run:     runSSMAgentSSHLogs,
		Plan:    planSSMAgentSSHLogs,
		Project: projectSSMAgentSSHLogs,
	}
}

func runSSMAgentSSHLogs(c *Check, s *snapshot.Snapshot, opts Options) []Finding {
	return perRegion(s, func(a *snapshot.Account, r *snapshot.Region) []Finding {
		return c.sshLogsRegion(a, r, opts)
	})
}

// sshTarget is one (log group, stream) an instance's SSH log should reach.
type sshTarget struct {
	source   agentconfig.Source
	file     snapshot.AgentLogFile
	group    string
	stream   string
	template string
}

// sshPlan is the first pass over one instance: either a verdict already (not reporting, not
// covered, ...) or the streams to examine.
type sshPlan struct {
	mi       *snapshot.ManagedInstance
	path     string
	verdict  *Finding
	targets  []sshTarget
	evidence SSHLogsEvidence
}

func (c *Check) sshLogsRegion(a *snapshot.Account, r *snapshot.Region, opts Options) []Finding {
	account := a.ID
	regionRes := a.ARN("ssm", r.Name, "managed-instance/*")
	switch {
	case r.SSM == nil:
		return []Finding{c.notCollected(account, r.Name, regionRes, "Systems Manager (managed instances)")}
	case r.SSM.Error != nil:
		return []Finding{c.readError(account, r.Name, regionRes, r.SSM.Error, "the SSM managed instances of "+r.Name)}
	}
	var plans []*sshPlan
	// streamUsers counts the instances whose SSH log goes to each group/stream, to tell a
	// stream of one instance from one shared by many.
	streamUsers := map[string]int{}
	for i := range r.SSM.ManagedInstances {
		mi := &r.SSM.ManagedInstances[i]
		if mi.PlatformType != "Linux" {
			continue
		}
		p := c.planSSH(account, r, mi)
		for _, t := range p.targets {
			streamUsers[t.group+"\x00"+t.stream]++
		}
		plans = append(plans, p)
	}
	var out []Finding
	for _, p := range plans {
		if p.verdict != nil {
			out = append(out, *p.verdict)
			continue
		}
		out = append(out, c.judgeSSHStreams(account, r, p, streamUsers, opts))
	}
	return out
}

func instanceLabel(mi *snapshot.ManagedInstance) string {
	return strings.TrimSpace(fmt.Sprintf("%s (%s %s)", mi.InstanceID, mi.PlatformName, mi.PlatformVersion))
}

// planSSH follows the configuration links for one instance.
func (c *Check) planSSH(account string, r *snapshot.Region, mi *snapshot.ManagedInstance) *sshPlan {
	p := &sshPlan{mi: mi, evidence: SSHLogsEvidence{
		Instance: ManagedInstanceSummary{
			ID: mi.InstanceID, PlatformName: mi.PlatformName, PlatformVersion: mi.PlatformVersion,
			PingStatus: mi.PingStatus, AgentVersion: mi.AgentVersion, LastPingTime: mi.LastPingTime,
		},
	}}
	label := instanceLabel(mi)
	verdict := func(status Status, msg string) *sshPlan {
		f := c.finding(account, r.Name, mi.InstanceID, status, msg)
		f.Evidence = p.evidence
		if status == Fail {
			f.Fix = &FixHint{Available: false, Summary: "apply an AmazonCloudWatch-ManageAgent association with a configuration that collects " + orDefault(p.path, "the SSH log")}
		}
		p.verdict = &f
		return p
	}

	if mi.PingStatus != "Online" {
		msg := fmt.Sprintf("%s is not reporting to SSM (ping status %s", label, orDefault(mi.PingStatus, "unknown"))
		if mi.LastPingTime != nil {
			msg += ", last ping " + mi.LastPingTime.UTC().Format(time.RFC3339)
		}
		return verdict(Fail, msg+"): its CloudWatch Agent configuration cannot be applied or verified through SSM")
	}
	candidates := agentconfig.KnownSSHLogPaths
	if path, known := agentconfig.SSHLogPath(mi.PlatformName); known {
		p.path = path
		candidates = []string{path}
	}
	p.evidence.SSHLogPaths = candidates

	res := agentconfig.Resolve(r.SSM, mi)
	switch {
	case r.SSM.AssociationsError != nil:
		return verdict(Error, "could not read the State Manager associations that would configure "+mi.InstanceID+": "+r.SSM.AssociationsError.Error())
	case res.Unresolved != "":
		return verdict(Error, "cannot tell whether "+mi.InstanceID+" is configured: "+res.Unresolved)
	case r.SSM.CommandsError != nil:
		// A ManageAgent command later than any association would replace its configuration.
		return verdict(Error, "the ManageAgent commands that may have configured "+mi.InstanceID+" last could not be read: "+r.SSM.CommandsError.Error())
	}
	p.evidence.ConfiguredBy = sourcesEvidence(res.Sources)
	if res.Failed != nil {
		p.evidence.FailedCommand = &sourcesEvidence([]agentconfig.Source{*res.Failed})[0]
	}
	if len(res.Sources) == 0 {
		if res.Failed != nil {
			return verdict(Fail, fmt.Sprintf("%s: the CloudWatch Agent command failed: %s of %s ended %s%s, and no ManageAgent configure command ever succeeded on it",
				label, res.Failed.Describe(), agentconfig.ManageAgentDocument, res.Failed.Status, atTime(res.Failed.At)))
		}
		return verdict(Fail, fmt.Sprintf("%s is not covered by any CloudWatch Agent configuration: no %s association targets it (by id or tag) and it has no successful %s configure command in SSM's command history (30 days)",
			label, agentconfig.ManageAgentDocument, agentconfig.ManageAgentDocument))
	}
	if res.Stopped != nil {
		return verdict(Fail, fmt.Sprintf("%s: the CloudWatch Agent was stopped by %s%s", label, res.Stopped.Describe(), atTime(res.Stopped.At)))
	}

	configs := map[string]*snapshot.AgentConfig{}
	for i := range r.SSM.AgentConfigs {
		configs[r.SSM.AgentConfigs[i].Parameter] = &r.SSM.AgentConfigs[i]
	}
	var errs, misses, wrong []string
	for _, src := range res.Sources {
		switch {
		case src.Config != "ssm":
			misses = append(misses, fmt.Sprintf("%s applies the agent's %q configuration, which collects no log files", src.Describe(), src.Config))
			continue
		case src.Parameter == "":
			misses = append(misses, src.Describe()+" names no configuration parameter (optionalConfigurationLocation is empty)")
			continue
		}
		cfg := configs[src.Parameter]
		switch {
		case cfg == nil:
			errs = append(errs, fmt.Sprintf("configuration %s (from %s) was not collected", src.Parameter, src.Describe()))
			continue
		case cfg.Error != nil && cfg.Error.Code == "ParameterNotFound":
			misses = append(misses, fmt.Sprintf("configuration parameter %s named by %s does not exist", src.Parameter, src.Describe()))
			continue
		case cfg.Error != nil:
			errs = append(errs, fmt.Sprintf("could not read configuration %s: %s", src.Parameter, cfg.Error.Error()))
			continue
		}
		covered := false
		for _, f := range cfg.Files {
			if matchesAny(f.FilePath, candidates) {
				covered = true
				t := sshTarget{source: src, file: f, template: f.LogStreamName}
				g, err1 := agentconfig.Expand(f.LogGroupName, mi)
				st, err2 := agentconfig.Expand(f.LogStreamName, mi)
				if err1 != nil || err2 != nil {
					errs = append(errs, fmt.Sprintf("configuration %s: cannot resolve the log group or stream of %s: %v", src.Parameter, f.FilePath, firstErr(err1, err2)))
					continue
				}
				t.group, t.stream = g, st
				p.targets = append(p.targets, t)
			} else if matchesAny(f.FilePath, agentconfig.KnownSSHLogPaths) {
				wrong = append(wrong, fmt.Sprintf("configuration %s collects %s, but %s writes SSH logins to %s", src.Parameter, f.FilePath, orDefault(mi.PlatformName, "this platform"), p.path))
			}
		}
		if !covered && !containsPrefix(wrong, "configuration "+src.Parameter+" ") {
			misses = append(misses, fmt.Sprintf("configuration %s (from %s) does not collect %s (it collects %s)", src.Parameter, src.Describe(), strings.Join(candidates, " or "), filesList(cfg.Files)))
		}
	}
	if len(p.targets) > 0 {
		return p
	}
	switch {
	case len(errs) > 0:
		return verdict(Error, label+": "+strings.Join(errs, "; "))
	case len(wrong) > 0:
		return verdict(Fail, label+": wrong SSH log path for the platform: "+strings.Join(append(wrong, misses...), "; "))
	}
	return verdict(Fail, label+": the agent configuration misses the SSH log path: "+strings.Join(misses, "; "))
}

// judgeSSHStreams decides from the streams whether the agent is shipping the SSH log.
func (c *Check) judgeSSHStreams(account string, r *snapshot.Region, p *sshPlan, users map[string]int, opts Options) Finding {
	mi := p.mi
	label := instanceLabel(mi)
	type outcome struct {
		status Status
		msg    string
	}
	var outcomes []outcome
	streams := make([]StreamEvidence, len(p.targets))
	for i, t := range p.targets {
		streams[i] = StreamEvidence{Configuration: t.source.Parameter, ConfiguredBy: t.source.Describe(), FilePath: t.file.FilePath,
			LogGroup: t.group, LogStream: t.stream}
		o := func(s Status, msg string) { outcomes = append(outcomes, outcome{s, msg}); streams[i].Verdict = s }
		if t.source.Kind == "association" && t.source.Status == "Failed" {
			o(Fail, fmt.Sprintf("the CloudWatch Agent command failed: %s of %s reports status Failed (aggregated over its targets)", t.source.Describe(), agentconfig.ManageAgentDocument))
			continue
		}
		if r.Logs == nil {
			o(Error, "CloudWatch Logs was not collected")
			continue
		}
		g := findLogGroup(r.Logs, t.group)
		switch {
		case g == nil && r.Logs.Error != nil:
			o(Error, fmt.Sprintf("could not read log group %s: %s", t.group, r.Logs.Error.Error()))
			continue
		case g == nil:
			o(Fail, fmt.Sprintf("no data: log group %s does not exist, so the agent has never shipped %s there", t.group, t.file.FilePath))
			continue
		case g.StreamsError != nil:
			o(Error, fmt.Sprintf("could not read the streams of %s: %s", t.group, g.StreamsError.Error()))
			continue
		case !slices.Contains(g.StreamsWanted, t.stream):
			o(Error, fmt.Sprintf("stream %s of log group %s was not collected in this snapshot", t.stream, t.group))
			continue
		}
		st := findStream(g, t.stream)
		if st == nil {
			o(Fail, fmt.Sprintf("no data: log group %s has no stream %s for this instance", t.group, t.stream))
			continue
		}
		last := st.LastIngestionTime
		if last == nil {
			last = st.LastEventTimestamp
		}
		streams[i].LastIngestionTime = last
		if n := users[t.group+"\x00"+t.stream]; !agentconfig.PerInstance(t.template) && n > 1 {
			o(Fail, fmt.Sprintf("stream %s in %s is shared by %d instances (log_stream_name %q has no {instance_id}), so its data cannot show that this instance ships its SSH log", t.stream, t.group, n, t.template))
			continue
		}
		if last == nil {
			o(Fail, fmt.Sprintf("no data: stream %s in %s has never received an event", t.stream, t.group))
			continue
		}
		age := opts.Now.Sub(*last)
		if age > opts.SSHLogMaxAge {
			msg := fmt.Sprintf("no data within %s: stream %s in %s last received data at %s (%s before the scan)",
				humanDuration(opts.SSHLogMaxAge), t.stream, t.group, last.UTC().Format(time.RFC3339), humanDuration(age))
			if hint := agentconfig.JournalOnlyHint(mi.PlatformName, mi.PlatformVersion); hint != "" {
				msg += "; " + hint
			}
			o(Fail, msg)
			continue
		}
		o(Pass, fmt.Sprintf("%s ships %s to %s/%s (configured by %s from %s); last data %s, within %s",
			label, t.file.FilePath, t.group, t.stream, t.source.Describe(), t.source.Parameter, last.UTC().Format(time.RFC3339), humanDuration(opts.SSHLogMaxAge)))
	}
	p.evidence.Streams = streams
	best := outcomes[0]
	for _, o := range outcomes {
		if o.status == Pass {
			best = o
			break
		}
		if o.status == Error && best.status != Error {
			best = o
		}
	}
	msg := best.msg
	if best.status != Pass {
		var all []string
		for _, o := range outcomes {
			all = append(all, o.msg)
		}
		msg = label + ": " + strings.Join(all, "; ")
	}
	f := c.finding(account, r.Name, mi.InstanceID, best.status, msg)
	f.Evidence = p.evidence
	if best.status == Fail {
		f.Fix = &FixHint{Available: false, Summary: "check the CloudWatch Agent on the instance (amazon-cloudwatch-agent-ctl -a status) and that " + orDefault(p.path, "the SSH log") + " exists and is readable"}
	}
	return f
}

func sourcesEvidence(srcs []agentconfig.Source) []SourceEvidence {
	out := make([]SourceEvidence, 0, len(srcs))
	for _, s := range srcs {
		out = append(out, SourceEvidence{Kind: s.Kind, ID: s.ID, Action: s.Action,
			ConfigurationSource: s.Config, Parameter: s.Parameter, Status: s.Status, At: s.At})
	}
	return out
}

func matchesAny(pattern string, paths []string) bool {
	for _, p := range paths {
		if agentconfig.MatchPath(pattern, p) {
			return true
		}
	}
	return false
}

func findLogGroup(d *snapshot.LogsData, name string) *snapshot.LogGroup {
	for i := range d.LogGroups {
		if d.LogGroups[i].Name == name {
			return &d.LogGroups[i]
		}
	}
	return nil
}

func findStream(g *snapshot.LogGroup, name string) *snapshot.LogStream {
	for i := range g.Streams {
		if g.Streams[i].Name == name {
			return &g.Streams[i]
		}
	}
	return nil
}

func containsPrefix(list []string, prefix string) bool {
	for _, v := range list {
		if strings.HasPrefix(v, prefix) {
			return true
		}
	}
	return false
}

func filesList(files []snapshot.AgentLogFile) string {
	if len(files) == 0 {
		return "no log files"
	}
	var paths []string
	for _, f := range files {
		paths = append(paths, f.FilePath)
	}
	return strings.Join(paths, ", ")
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func atTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return " at " + t.UTC().Format(time.RFC3339)
}

// humanDuration writes 24h, 3d2h or 45m: days and hours for long spans, minutes for short.
func humanDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		h := int(d.Hours())
		if m := int(d.Minutes()) % 60; m != 0 && h < 3 {
			return fmt.Sprintf("%dh%dm", h, m)
		}
		return fmt.Sprintf("%dh", h)
	}
	days := int(d.Hours()) / 24
	if h := int(d.Hours()) % 24; h != 0 {
		return fmt.Sprintf("%dd%dh", days, h)
	}
	return fmt.Sprintf("%dd", days)
}
