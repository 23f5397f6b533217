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
// a configuration into its CloudWatch Agent, that configuration collects what carries sshd's
// lines on this distribution (the file it writes, or the systemd journal where no syslog
// daemon writes one), and the agent is demonstrably shipping it — the instance's own stream
// received data recently.
func SSMAgentSSHLogs() *Check {
	return &Check{
		ID:       "ssm-cloudwatch-agent-ssh-logs",
		Title:    "CloudWatch Agent ships this instance's SSH log to CloudWatch Logs",
		Severity: High,
		Service:  "ssm",
		Verifies: "The instance reports to SSM (ping status Online); an AmazonCloudWatch-ManageAgent State Manager " +
			"association targets it (by instance id, \"*\", tag, tag key or resource group) or else its latest successful " +
			"ManageAgent command configured it, from a Parameter Store configuration with an entry that carries sshd's login " +
			"lines: a files entry covering the SSH log of its distribution (/var/log/auth.log on Ubuntu/Debian, " +
			"/var/log/secure on Amazon Linux and the Red Hat family; globs honoured; its filters admit the login line), or a " +
			"journald entry selecting the unit sshd runs as (ssh.service on Ubuntu/Debian, sshd.service elsewhere; an alias " +
			"does not count) at priority info or lower, with matches and filters that admit sshd's login entry; on Amazon " +
			"Linux 2023 and Debian 12, which ship without rsyslog, a files entry fails when SSM Inventory lists no syslog " +
			"daemon; and the instance's own stream in that log group (placeholders such as {instance_id} resolved) " +
			"received data within --ssh-log-max-age (default 24h).",
		Remediation: "Store an agent configuration named AmazonCloudWatch-* that sends the distribution's SSH log (the file, " +
			"or on Amazon Linux 2023 and Debian 12 without rsyslog a journald entry for sshd's unit) to a log group with " +
			"log_stream_name {instance_id}, and apply it with a State Manager association of AmazonCloudWatch-ManageAgent " +
			"(action configure, optionalConfigurationSource ssm) targeting the instances by tag; the instance profile " +
			"needs CloudWatchAgentServerPolicy.",
		FixSummary: "add the platform's SSH log path (or, where no syslog daemon writes it, a journald entry for sshd's unit) " +
			"to the agent configuration that applies (merged, never dropping entries), or give an uncovered instance a " +
			"lookout configuration through a ManageAgent association",
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

// sshTarget is one (log group, stream) an instance's SSH log should reach, by a file entry
// or, when journal is set, by a journald entry.
type sshTarget struct {
	source   agentconfig.Source
	file     snapshot.AgentLogFile
	journal  *JournalEntryEvidence
	doubt    string // set when lookout cannot tell whether the entry carries sshd's lines
	group    string
	stream   string
	template string
}

// carrier names what carries the SSH log: the file, or the journal entry's units.
func (t sshTarget) carrier() string {
	if t.journal == nil {
		return t.file.FilePath
	}
	if len(t.journal.Units) == 0 {
		return "the journal (every unit)"
	}
	return "the journal (units " + strings.Join(t.journal.Units, ", ") + ")"
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
	candidates, units := agentconfig.KnownSSHLogPaths, agentconfig.KnownSSHUnits
	if path, known := agentconfig.SSHLogPath(mi.PlatformName); known {
		p.path = path
		candidates = []string{path}
	}
	if unit, known := agentconfig.SSHUnit(mi.PlatformName); known {
		units = []string{unit}
	}
	p.evidence.SSHLogPaths, p.evidence.SSHUnits = candidates, units
	p.evidence.SyslogInventory = mi.Syslog

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
		addTarget := func(t sshTarget, group, what string) {
			g, err1 := agentconfig.Expand(group, mi)
			st, err2 := agentconfig.Expand(t.template, mi)
			if err1 != nil || err2 != nil {
				errs = append(errs, fmt.Sprintf("configuration %s: cannot resolve the log group or stream of %s: %v", src.Parameter, what, firstErr(err1, err2)))
				return
			}
			t.group, t.stream = g, st
			p.targets = append(p.targets, t)
		}
		for _, f := range cfg.Files {
			switch {
			case matchesAny(f.FilePath, candidates):
				covered = true
				if c := agentconfig.FileFiltersCarrySSH(f.Filters); !c.Ships {
					misses = append(misses, fmt.Sprintf("configuration %s collects %s, but %s", src.Parameter, f.FilePath, c.Reason))
					continue
				}
				addTarget(sshTarget{source: src, file: f, template: f.LogStreamName}, f.LogGroupName, f.FilePath)
			case matchesAny(f.FilePath, agentconfig.KnownSSHLogPaths):
				wrong = append(wrong, fmt.Sprintf("configuration %s collects %s, but %s writes SSH logins to %s", src.Parameter, f.FilePath, orDefault(mi.PlatformName, "this platform"), p.path))
			}
		}
		for j, e := range cfg.Journal {
			c := journalCarriage(e, units)
			what := fmt.Sprintf("journald entry %d", j)
			switch {
			case c.Ships, c.Unknown:
				// An entry lookout cannot judge still has a stream: stale, it ships nothing;
				// fresh, it is ERROR, not PASS (judgeSSHStreams).
				covered = true
				ev := &JournalEntryEvidence{Index: j, Units: e.Units, Priority: e.Priority}
				t := sshTarget{source: src, journal: ev, template: e.LogStreamName}
				if c.Unknown {
					t.doubt = fmt.Sprintf("lookout cannot tell whether configuration %s's %s carries sshd's login lines: %s", src.Parameter, what, c.Reason)
				}
				addTarget(t, e.LogGroupName, what)
			case journalNamesSSH(e):
				covered = true
				misses = append(misses, fmt.Sprintf("configuration %s's %s does not carry sshd's login lines: %s", src.Parameter, what, c.Reason))
			}
		}
		if !covered && !containsPrefix(wrong, "configuration "+src.Parameter+" ") {
			misses = append(misses, fmt.Sprintf("configuration %s (from %s) collects neither %s nor sshd's journal entries (%s) (it collects %s)",
				src.Parameter, src.Describe(), strings.Join(candidates, " or "), strings.Join(units, " or "), collectedList(cfg)))
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
			Journal: t.journal, LogGroup: t.group, LogStream: t.stream}
		o := func(s Status, msg string) { outcomes = append(outcomes, outcome{s, msg}); streams[i].Verdict = s }
		if t.source.Kind == "association" && t.source.Status == "Failed" {
			o(Fail, fmt.Sprintf("the CloudWatch Agent command failed: %s of %s reports status Failed (aggregated over its targets)", t.source.Describe(), agentconfig.ManageAgentDocument))
			continue
		}
		if msg := fileNeverWritten(mi, t); msg != "" {
			o(Fail, msg)
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
			o(Fail, fmt.Sprintf("no data: log group %s does not exist, so the agent has never shipped %s there", t.group, t.carrier()))
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
			msg := fmt.Sprintf("no data within %s in stream %s/%s: its last data came %s before the scan (%s)",
				humanDuration(opts.SSHLogMaxAge), t.group, t.stream, humanDuration(age), last.UTC().Format(time.RFC3339))
			if hint := agentconfig.JournalOnlyHint(mi.PlatformName, mi.PlatformVersion); hint != "" && t.journal == nil {
				msg += "; " + hint
			}
			o(Fail, msg)
			continue
		}
		if t.doubt != "" {
			o(Error, fmt.Sprintf("stream %s in %s is fresh, but %s", t.stream, t.group, t.doubt))
			continue
		}
		if t.journal == nil && agentconfig.JournalOnly(mi.PlatformName, mi.PlatformVersion) && mi.Syslog != nil && mi.Syslog.Error != nil {
			o(Error, fmt.Sprintf("stream %s in %s is fresh, but whether %s is written at all (this distribution ships without a syslog daemon) could not be read from SSM Inventory: %s",
				t.stream, t.group, t.file.FilePath, mi.Syslog.Error.Error()))
			continue
		}
		o(Pass, fmt.Sprintf("%s ships %s to %s/%s (configured by %s from %s); last data %s, within %s",
			label, t.carrier(), t.group, t.stream, t.source.Describe(), t.source.Parameter, last.UTC().Format(time.RFC3339), humanDuration(opts.SSHLogMaxAge)))
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

// fileNeverWritten is why a file entry cannot carry the SSH log of an instance whose
// distribution ships without a syslog daemon, when SSM Inventory's application list was taken
// and holds none: sshd's lines reach only the journal, and the file is never written. ""
// when that does not apply (a journald entry, another distribution, no inventory, a daemon
// listed).
func fileNeverWritten(mi *snapshot.ManagedInstance, t sshTarget) string {
	inv := mi.Syslog
	if t.journal != nil || !agentconfig.JournalOnly(mi.PlatformName, mi.PlatformVersion) ||
		inv == nil || inv.Error != nil || inv.CaptureTime == nil || len(inv.Daemons) > 0 {
		return ""
	}
	unit, _ := agentconfig.SSHUnit(mi.PlatformName)
	return fmt.Sprintf("%s is never written: %s %s ships without a syslog daemon and SSM Inventory (AWS:Application, taken %s) lists no %s, so sshd logs only to the journal; collect it with a journald entry for %s",
		t.file.FilePath, mi.PlatformName, mi.PlatformVersion, inv.CaptureTime.UTC().Format(time.RFC3339), strings.Join(agentconfig.SyslogDaemons, " or "), unit)
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

// journalCarriage judges a journald entry for the units sshd may run as: it ships if it
// carries one of them, and lookout cannot tell if it cannot tell for one and carries none.
func journalCarriage(e snapshot.AgentJournalEntry, units []string) agentconfig.Carriage {
	var out agentconfig.Carriage
	for i, unit := range units {
		c := agentconfig.JournalCarriesSSH(e, unit)
		if c.Ships {
			return c
		}
		if i == 0 || c.Unknown {
			out = c
		}
	}
	return out
}

// journalNamesSSH reports whether a journald entry was meant for sshd (it names a unit
// starting with "ssh"), so that one that misses its lines is worth naming.
func journalNamesSSH(e snapshot.AgentJournalEntry) bool {
	return slices.ContainsFunc(e.Units, func(u string) bool { return strings.HasPrefix(u, "ssh") })
}

// collectedList names what a configuration collects: its files and journald entries.
func collectedList(cfg *snapshot.AgentConfig) string {
	var what []string
	for _, f := range cfg.Files {
		what = append(what, f.FilePath)
	}
	for _, e := range cfg.Journal {
		if len(e.Units) == 0 {
			what = append(what, "the journal")
		} else {
			what = append(what, "the journal of "+strings.Join(e.Units, ", "))
		}
	}
	if len(what) == 0 {
		return "no log files"
	}
	return strings.Join(what, ", ")
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
