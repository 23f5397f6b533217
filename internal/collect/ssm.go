package collect

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroups"
	rgtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroups/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/lookout-audit/lookout/internal/agentconfig"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// collectSSM reads what the SSH-log check needs from Systems Manager, with list calls only
// (no call per instance): the managed instances, the AmazonCloudWatch-ManageAgent
// associations (plus one DescribeAssociation each for its parameters, which ListAssociations
// omits — there are a handful per region, not one per instance), the ManageAgent commands
// and their per-instance invocations, and the agent configurations those name.
func collectSSM(ctx context.Context, c *regionClients, r *snapshot.Region) {
	d := &snapshot.SSMData{ManagedInstances: []snapshot.ManagedInstance{}}
	r.SSM = d
	p := ssm.NewDescribeInstanceInformationPaginator(c.ssm, &ssm.DescribeInstanceInformationInput{MaxResults: aws.Int32(50)})
	if d.Error = pages(ctx, p.HasMorePages, p.NextPage, "ssm:DescribeInstanceInformation", func(out *ssm.DescribeInstanceInformationOutput) {
		for _, in := range out.InstanceInformationList {
			d.ManagedInstances = append(d.ManagedInstances, snapshot.ManagedInstance{
				InstanceID:      aws.ToString(in.InstanceId),
				PingStatus:      string(in.PingStatus),
				PlatformType:    string(in.PlatformType),
				PlatformName:    aws.ToString(in.PlatformName),
				PlatformVersion: aws.ToString(in.PlatformVersion),
				AgentVersion:    aws.ToString(in.AgentVersion),
				ResourceType:    string(in.ResourceType),
				LastPingTime:    utc(in.LastPingDateTime),
				ComputerName:    aws.ToString(in.ComputerName),
				IPAddress:       aws.ToString(in.IPAddress),
			})
		}
	}); d.Error != nil {
		return
	}
	sort.Slice(d.ManagedInstances, func(i, j int) bool { return d.ManagedInstances[i].InstanceID < d.ManagedInstances[j].InstanceID })
	if len(d.ManagedInstances) == 0 {
		return // nothing to configure: the check has no instance to judge here
	}
	// The associations and the commands are independent reads: made at once.
	fanOut(2, func(i int) {
		if i == 0 {
			d.Associations, d.AssociationsError = manageAgentAssociations(ctx, c)
		} else {
			d.Commands, d.CommandsError = manageAgentCommands(ctx, c)
		}
	})
	// The agent configurations and the targeted resource groups both follow from the
	// associations, and not from each other.
	fanOut(2, func(i int) {
		if i == 0 {
			d.AgentConfigs = agentConfigs(ctx, c, d)
		} else {
			d.ResourceGroups = targetedGroups(ctx, c, d.Associations)
		}
	})
}

// targetedGroups reads, once each, the resource groups the associations target
// (resource-groups:Name), as State Manager resolves them: the group's query, and for a
// CloudFormation-stack group the resources it holds.
func targetedGroups(ctx context.Context, c *regionClients, assocs []snapshot.Association) []snapshot.ResourceGroup {
	names := map[string]bool{}
	for _, a := range assocs {
		for _, t := range a.Targets {
			if t.Key == "resource-groups:Name" {
				for _, v := range t.Values {
					names[v] = true
				}
			}
		}
	}
	if len(names) == 0 {
		return nil
	}
	groups := make([]snapshot.ResourceGroup, 0, len(names))
	for _, n := range sortedKeys(names) {
		groups = append(groups, snapshot.ResourceGroup{Name: n})
	}
	fanOut(len(groups), func(i int) {
		g := &groups[i]
		out, err := c.groups.GetGroupQuery(ctx, &resourcegroups.GetGroupQueryInput{Group: aws.String(g.Name)})
		switch {
		case errorCode(err) == "NotFoundException":
			g.NotFound = true
			return
		case err != nil:
			g.Error = readError("resource-groups:GetGroupQuery", err)
			return
		case out.GroupQuery == nil || out.GroupQuery.ResourceQuery == nil:
			g.Error = &snapshot.ReadError{Operation: "resource-groups:GetGroupQuery", Message: "the answer holds no resource query"}
			return
		}
		g.QueryType, g.Query = string(out.GroupQuery.ResourceQuery.Type), aws.ToString(out.GroupQuery.ResourceQuery.Query)
		if g.QueryType != string(rgtypes.QueryTypeCloudformationStack10) {
			return // a tag query is evaluated against the instances' tags
		}
		g.Members = []string{}
		p := resourcegroups.NewListGroupResourcesPaginator(c.groups, &resourcegroups.ListGroupResourcesInput{Group: aws.String(g.Name)})
		if e := pages(ctx, p.HasMorePages, p.NextPage, "resource-groups:ListGroupResources", func(page *resourcegroups.ListGroupResourcesOutput) {
			for _, r := range page.Resources {
				if r.Identifier != nil {
					g.Members = append(g.Members, aws.ToString(r.Identifier.ResourceArn))
				}
			}
		}); e != nil {
			g.Error, g.Members = e, nil
			return
		}
		sort.Strings(g.Members)
		g.MembersRead = true
	})
	return groups
}

// keptParameters keeps the ManageAgent parameters that say how the agent is driven.
func keptParameters(in map[string][]string) map[string][]string {
	out := map[string][]string{}
	for _, k := range agentconfig.KeptParameters {
		if v, ok := in[k]; ok {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func manageAgentAssociations(ctx context.Context, c *regionClients) ([]snapshot.Association, *snapshot.ReadError) {
	var out []snapshot.Association
	p := ssm.NewListAssociationsPaginator(c.ssm, &ssm.ListAssociationsInput{
		AssociationFilterList: []ssmtypes.AssociationFilter{{Key: ssmtypes.AssociationFilterKeyName, Value: aws.String(agentconfig.ManageAgentDocument)}},
		MaxResults:            aws.Int32(50),
	})
	if err := pages(ctx, p.HasMorePages, p.NextPage, "ssm:ListAssociations", func(page *ssm.ListAssociationsOutput) {
		for _, a := range page.Associations {
			if aws.ToString(a.Name) != agentconfig.ManageAgentDocument {
				continue
			}
			as := snapshot.Association{
				AssociationID:   aws.ToString(a.AssociationId),
				AssociationName: aws.ToString(a.AssociationName),
				Name:            aws.ToString(a.Name),
				Targets:         []snapshot.AssociationTarget{},
				LastRun:         utc(a.LastExecutionDate),
			}
			if a.Overview != nil {
				as.Status = aws.ToString(a.Overview.Status)
			}
			for _, t := range a.Targets {
				as.Targets = append(as.Targets, snapshot.AssociationTarget{Key: aws.ToString(t.Key), Values: t.Values})
			}
			if id := aws.ToString(a.InstanceId); id != "" && len(as.Targets) == 0 {
				// A legacy association names one instance instead of targets.
				as.Targets = append(as.Targets, snapshot.AssociationTarget{Key: "InstanceIds", Values: []string{id}})
			}
			out = append(out, as)
		}
	}); err != nil {
		return nil, err
	}
	// One DescribeAssociation each, for the parameters ListAssociations omits: independent
	// reads, made a few at once. The first failure (in listing order) is the answer.
	errs := make([]*snapshot.ReadError, len(out))
	fanOut(len(out), func(i int) {
		desc, err := c.ssm.DescribeAssociation(ctx, &ssm.DescribeAssociationInput{AssociationId: aws.String(out[i].AssociationID)})
		if err != nil {
			errs[i] = readError("ssm:DescribeAssociation", err)
			return
		}
		if desc.AssociationDescription != nil {
			out[i].Parameters = keptParameters(desc.AssociationDescription.Parameters)
		}
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].AssociationID < out[j].AssociationID })
	return out, nil
}

// manageAgentCommands reads the ManageAgent commands (for their parameters) and their
// invocations (one per instance, with its own status): two paginated list calls however many
// instances there are. SSM keeps command history for 30 days.
//
// Per instance, only the invocations back to its last successful full "configure" are kept:
// older ones were superseded and cannot change the verdict, and dropping them bounds the
// snapshot for fleets that reconfigure often.
func manageAgentCommands(ctx context.Context, c *regionClients) ([]snapshot.AgentCommand, *snapshot.ReadError) {
	filter := []ssmtypes.CommandFilter{{Key: ssmtypes.CommandFilterKeyDocumentName, Value: aws.String(agentconfig.ManageAgentDocument)}}
	// The commands (for their parameters) and the invocations are independent lists: read at
	// once, joined after. A failure of ListCommands is the answer before one of the
	// invocations.
	params := map[string]map[string][]string{}
	var invocations []snapshot.AgentCommand
	var cmdErr, invErr *snapshot.ReadError
	fanOut(2, func(i int) {
		if i == 0 {
			p := ssm.NewListCommandsPaginator(c.ssm, &ssm.ListCommandsInput{Filters: filter, MaxResults: aws.Int32(50)})
			cmdErr = pages(ctx, p.HasMorePages, p.NextPage, "ssm:ListCommands", func(page *ssm.ListCommandsOutput) {
				for _, cmd := range page.Commands {
					if aws.ToString(cmd.DocumentName) == agentconfig.ManageAgentDocument {
						params[aws.ToString(cmd.CommandId)] = keptParameters(cmd.Parameters)
					}
				}
			})
			return
		}
		p := ssm.NewListCommandInvocationsPaginator(c.ssm, &ssm.ListCommandInvocationsInput{Filters: filter, MaxResults: aws.Int32(50)})
		invErr = pages(ctx, p.HasMorePages, p.NextPage, "ssm:ListCommandInvocations", func(page *ssm.ListCommandInvocationsOutput) {
			for _, inv := range page.CommandInvocations {
				if aws.ToString(inv.DocumentName) == agentconfig.ManageAgentDocument {
					invocations = append(invocations, snapshot.AgentCommand{
						CommandID:    aws.ToString(inv.CommandId),
						InstanceID:   aws.ToString(inv.InstanceId),
						DocumentName: aws.ToString(inv.DocumentName),
						Status:       string(inv.Status),
						RequestedAt:  utc(inv.RequestedDateTime),
					})
				}
			}
		})
	})
	switch {
	case cmdErr != nil:
		return nil, cmdErr
	case invErr != nil:
		return nil, invErr
	}
	byInstance := map[string][]snapshot.AgentCommand{}
	for _, inv := range invocations {
		inv.Parameters = params[inv.CommandID]
		byInstance[inv.InstanceID] = append(byInstance[inv.InstanceID], inv)
	}
	var out []snapshot.AgentCommand
	for _, cmds := range byInstance {
		sort.SliceStable(cmds, func(i, j int) bool { return later(cmds[i].RequestedAt, cmds[j].RequestedAt) })
		for _, cmd := range cmds {
			out = append(out, cmd)
			if cmd.Status == "Success" && actionOf(cmd.Parameters) == "configure" {
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].InstanceID != out[j].InstanceID {
			return out[i].InstanceID < out[j].InstanceID
		}
		return later(out[i].RequestedAt, out[j].RequestedAt)
	})
	return out, nil
}

func later(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a != nil
	}
	return a.After(*b)
}

func actionOf(p map[string][]string) string {
	if v := p[agentconfig.ParamAction]; len(v) > 0 && v[0] != "" {
		return v[0]
	}
	return "configure"
}

// agentConfigs reads and parses every Parameter Store configuration an association or
// command names, ten names per GetParameters call. Only the parsed collect list is kept,
// never the value. SecureString values are not decrypted: an auditor's role should not need
// kms:Decrypt, so such a configuration is recorded as unreadable.
func agentConfigs(ctx context.Context, c *regionClients, d *snapshot.SSMData) []snapshot.AgentConfig {
	names := map[string]bool{}
	add := func(p map[string][]string) {
		src, loc := "ssm", ""
		if v := p[agentconfig.ParamConfigSource]; len(v) > 0 && v[0] != "" {
			src = v[0]
		}
		if v := p[agentconfig.ParamConfigLocation]; len(v) > 0 {
			loc = strings.TrimSpace(v[0])
		}
		if src == "ssm" && loc != "" {
			names[loc] = true
		}
	}
	for _, a := range d.Associations {
		add(a.Parameters)
	}
	for _, cmd := range d.Commands {
		add(cmd.Parameters)
	}
	list := make([]string, 0, len(names))
	for n := range names {
		list = append(list, n)
	}
	sort.Strings(list)
	var out []snapshot.AgentConfig
	for start := 0; start < len(list); start += 10 {
		batch := list[start:min(start+10, len(list))]
		res, err := c.ssm.GetParameters(ctx, &ssm.GetParametersInput{Names: batch, WithDecryption: aws.Bool(false)})
		if err != nil {
			re := readError("ssm:GetParameters", err)
			for _, n := range batch {
				out = append(out, snapshot.AgentConfig{Parameter: n, Error: re})
			}
			continue
		}
		for _, n := range res.InvalidParameters {
			out = append(out, snapshot.AgentConfig{Parameter: n, Error: &snapshot.ReadError{
				Operation: "ssm:GetParameters", Code: "ParameterNotFound", Message: "parameter " + n + " does not exist"}})
		}
		for _, p := range res.Parameters {
			cfg := agentConfigFrom(p)
			cfg.Parameter = askedName(batch, cfg.Parameter)
			out = append(out, cfg)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Parameter < out[j].Parameter })
	return out
}

// askedName maps a parameter name GetParameters returned back to the name or ARN
// (arn:PARTITION:ssm:REGION:ACCOUNT:parameter/NAME, without the name's leading slash) it was
// asked for, which is what the association or command names.
func askedName(asked []string, name string) string {
	resource := "parameter/" + strings.TrimPrefix(name, "/")
	for _, a := range asked {
		if p, err := arn.Parse(a); a == name || err == nil && p.Resource == resource {
			return a
		}
	}
	return name
}

func agentConfigFrom(p ssmtypes.Parameter) snapshot.AgentConfig {
	cfg := snapshot.AgentConfig{Parameter: aws.ToString(p.Name), Type: string(p.Type)}
	if p.Type == ssmtypes.ParameterTypeSecureString {
		cfg.Error = &snapshot.ReadError{Operation: "ssm:GetParameters", Code: "SecureString",
			Message: "the configuration is a SecureString; lookout does not decrypt parameters"}
		return cfg
	}
	collected, err := agentconfig.Parse([]byte(aws.ToString(p.Value)))
	if err != nil {
		cfg.Error = &snapshot.ReadError{Operation: "ssm:GetParameters", Code: "MalformedAgentConfiguration",
			Message: fmt.Sprintf("parameter %s: %v", cfg.Parameter, err)}
		return cfg
	}
	cfg.Files, cfg.Journal = collected.Files, collected.Journal
	return cfg
}

// Stream lookups: when a log group holds at most streamsByPrefixMax of the streams wanted, each
// is found with DescribeLogStreams by name prefix (one call each). Otherwise the group is
// listed newest first (orderBy LastEventTime, descending, 50 per page) until every wanted
// stream has been seen: a fleet of 1000 instances shipping to one group costs about 20 calls
// instead of 1000, which matters because DescribeLogStreams is limited to 5 calls per second
// per account and region. Listing stops after the wanted streams' own pages plus
// streamsListSlack pages, so a group crowded with other streams cannot make it run away; the
// streams still missing then are looked up by prefix.
const (
	streamsByPrefixMax = 3
	streamsListSlack   = 20
)

// collectSSHLogStreams is a follow-up: it needs the managed instances and agent
// configurations (SSM), the instances' tags (EC2) and the log groups (Logs). It fills in the
// tags that State Manager tag targets select on, works out which log stream each Linux
// instance's SSH log should reach, and reads those streams' freshness into
// Region.Logs.LogGroups[].Streams.
func collectSSHLogStreams(ctx context.Context, c *regionClients, r *snapshot.Region) {
	if r.SSM == nil || r.SSM.Error != nil || len(r.SSM.ManagedInstances) == 0 {
		return
	}
	fillInstanceTags(ctx, c, r)
	readSyslogInventory(ctx, c, r.SSM)
	wanted := wantedSSHStreams(r.SSM)
	if len(wanted) == 0 {
		return
	}
	if r.Logs == nil {
		// The logs collector did not run: record that the groups were not listed, so no check
		// mistakes the few groups added below for the region's full list.
		r.Logs = &snapshot.LogsData{
			LogGroups:     []snapshot.LogGroup{},
			MetricFilters: []snapshot.MetricFilter{},
			Error:         &snapshot.ReadError{Operation: "logs:DescribeLogGroups", Message: "log groups were not collected"},
		}
	}
	groups := make([]string, 0, len(wanted))
	for g := range wanted {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	for _, name := range groups {
		names := wanted[name]
		streams, err := readStreams(ctx, c, name, names)
		if isNotFound(err) {
			continue // the group does not exist: the agent never shipped anything there
		}
		g := logGroupEntry(r.Logs, name)
		g.StreamsWanted = names
		if err != nil {
			g.StreamsError = readError("logs:DescribeLogStreams", err)
			continue
		}
		g.Streams = streams
	}
}

// readSyslogInventory reads, for each instance of a distribution that ships without a syslog
// daemon (agentconfig.JournalOnly) and whose configuration has a file entry to carry its SSH
// log, whether SSM Inventory lists a syslog daemon: without one, sshd's log file is never
// written. One ssm:ListInventoryEntries call per such instance (AWS:Application filtered on the
// daemons' package names, so the answer is a row or two, not the instance's every package).
func readSyslogInventory(ctx context.Context, c *regionClients, d *snapshot.SSMData) {
	configs := map[string]*snapshot.AgentConfig{}
	for i := range d.AgentConfigs {
		configs[d.AgentConfigs[i].Parameter] = &d.AgentConfigs[i]
	}
	var asked []*snapshot.ManagedInstance
	for i := range d.ManagedInstances {
		mi := &d.ManagedInstances[i]
		if mi.PlatformType != string(ssmtypes.PlatformTypeLinux) || mi.PingStatus != string(ssmtypes.PingStatusOnline) ||
			!agentconfig.JournalOnly(mi.PlatformName, mi.PlatformVersion) {
			continue
		}
		files := false
		for _, src := range agentconfig.Resolve(d, mi).Sources {
			if cfg := configs[src.Parameter]; src.Config == "ssm" && cfg != nil {
				files = files || slices.ContainsFunc(cfg.Files, func(f snapshot.AgentLogFile) bool { return coversAnySSHLog(f.FilePath) })
			}
		}
		if files {
			asked = append(asked, mi)
		}
	}
	fanOut(len(asked), func(i int) {
		asked[i].Syslog = syslogInventory(ctx, c, asked[i].InstanceID)
	})
}

func syslogInventory(ctx context.Context, c *regionClients, instance string) *snapshot.SyslogInventory {
	inv := &snapshot.SyslogInventory{}
	in := &ssm.ListInventoryEntriesInput{
		InstanceId: aws.String(instance), TypeName: aws.String("AWS:Application"), MaxResults: aws.Int32(50),
		Filters: []ssmtypes.InventoryFilter{{Key: aws.String("AWS:Application.Name"), Values: agentconfig.SyslogDaemons, Type: ssmtypes.InventoryQueryOperatorTypeEqual}},
	}
	seen := map[string]bool{}
	for page := 0; ; page++ {
		out, err := c.ssm.ListInventoryEntries(ctx, in)
		if err != nil {
			inv.Error = readError("ssm:ListInventoryEntries", err)
			return inv
		}
		if t := aws.ToString(out.CaptureTime); t != "" {
			at, err := time.Parse(time.RFC3339, t)
			if err != nil {
				inv.Error = &snapshot.ReadError{Operation: "ssm:ListInventoryEntries", Code: "MalformedAnswer",
					Message: fmt.Sprintf("CaptureTime %q of %s is not a time", t, instance)}
				return inv
			}
			at = at.UTC()
			inv.CaptureTime = &at
		}
		for _, e := range out.Entries {
			if name := e["Name"]; slices.Contains(agentconfig.SyslogDaemons, name) && !seen[name] {
				seen[name] = true
				inv.Daemons = append(inv.Daemons, name)
			}
		}
		if aws.ToString(out.NextToken) == "" || page == 10 {
			break
		}
		in.NextToken = out.NextToken
	}
	slices.Sort(inv.Daemons)
	return inv
}

// fillInstanceTags copies EC2 tags onto the managed instances, when some ManageAgent
// association targets tags (otherwise they are not needed and not kept). Hybrid instances
// (mi-...) are not EC2 instances; their tags are read one by one, as SSM has no list call
// for them.
func fillInstanceTags(ctx context.Context, c *regionClients, r *snapshot.Region) {
	tagTargets := false
	for _, a := range r.SSM.Associations {
		for _, t := range a.Targets {
			// A resource group's tag query is evaluated against the tags too.
			tagTargets = tagTargets || t.Key == "tag-key" || strings.HasPrefix(t.Key, "tag:") || t.Key == "resource-groups:Name"
		}
	}
	if !tagTargets {
		return
	}
	ec2Tags := map[string]map[string]string{}
	var ec2Err *snapshot.ReadError
	switch {
	case r.EC2 == nil:
		ec2Err = &snapshot.ReadError{Operation: "ec2:DescribeInstances", Message: "EC2 instances were not collected"}
	case r.EC2.Error != nil:
		ec2Err = r.EC2.Error
	default:
		for _, in := range r.EC2.Instances {
			ec2Tags[in.ID] = in.Tags
		}
	}
	for i := range r.SSM.ManagedInstances {
		mi := &r.SSM.ManagedInstances[i]
		if mi.ResourceType == string(ssmtypes.ResourceTypeManagedInstance) || strings.HasPrefix(mi.InstanceID, "mi-") {
			out, err := c.ssm.ListTagsForResource(ctx, &ssm.ListTagsForResourceInput{
				ResourceType: ssmtypes.ResourceTypeForTaggingManagedInstance, ResourceId: aws.String(mi.InstanceID)})
			if err != nil {
				mi.TagsError = readError("ssm:ListTagsForResource", err)
				continue
			}
			for _, t := range out.TagList {
				if mi.Tags == nil {
					mi.Tags = map[string]string{}
				}
				mi.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			continue
		}
		if ec2Err != nil {
			mi.TagsError = ec2Err
			continue
		}
		mi.Tags = ec2Tags[mi.InstanceID]
	}
}

// wantedSSHStreams maps log group -> stream names (sorted) that the configurations applying
// to each Linux instance send an SSH log file to. It is deliberately platform-blind (any of
// the known SSH log paths): the check decides which path counts for which platform, and
// reading the stream of a wrong-platform entry lets it say so with evidence.
func wantedSSHStreams(d *snapshot.SSMData) map[string][]string {
	configs := map[string]*snapshot.AgentConfig{}
	for i := range d.AgentConfigs {
		configs[d.AgentConfigs[i].Parameter] = &d.AgentConfigs[i]
	}
	set := map[string]map[string]bool{}
	for i := range d.ManagedInstances {
		mi := &d.ManagedInstances[i]
		if mi.PlatformType != string(ssmtypes.PlatformTypeLinux) {
			continue
		}
		res := agentconfig.Resolve(d, mi)
		for _, src := range res.Sources {
			cfg := configs[src.Parameter]
			if src.Config != "ssm" || cfg == nil {
				continue
			}
			for _, t := range agentconfig.SSHDestinations(cfg) {
				group, err1 := agentconfig.Expand(t.Group, mi)
				stream, err2 := agentconfig.Expand(t.Stream, mi)
				if err1 != nil || err2 != nil {
					continue // the check reports the unresolvable placeholder
				}
				if set[group] == nil {
					set[group] = map[string]bool{}
				}
				set[group][stream] = true
			}
		}
	}
	out := map[string][]string{}
	for g, streams := range set {
		for s := range streams {
			out[g] = append(out[g], s)
		}
		sort.Strings(out[g])
	}
	return out
}

func coversAnySSHLog(pattern string) bool {
	for _, p := range agentconfig.KnownSSHLogPaths {
		if agentconfig.MatchPath(pattern, p) {
			return true
		}
	}
	return false
}

// readStreams finds the named streams of a group (see streamsByPrefixMax for the strategy).
func readStreams(ctx context.Context, c *regionClients, group string, names []string) ([]snapshot.LogStream, error) {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	found := map[string]snapshot.LogStream{}
	if len(names) > streamsByPrefixMax {
		budget := (len(names)+49)/50 + streamsListSlack
		pages := cloudwatchlogs.NewDescribeLogStreamsPaginator(c.logs, &cloudwatchlogs.DescribeLogStreamsInput{
			LogGroupName: aws.String(group),
			OrderBy:      logstypes.OrderByLastEventTime,
			Descending:   aws.Bool(true),
		})
		for n := 0; pages.HasMorePages() && len(found) < len(want) && n < budget; n++ {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			for _, s := range page.LogStreams {
				if name := aws.ToString(s.LogStreamName); want[name] {
					found[name] = streamFromAPI(s)
				}
			}
			if !pages.HasMorePages() {
				// Listed to the end: whatever is missing does not exist.
				return sortedStreams(found), nil
			}
		}
	}
	for _, name := range names {
		if _, ok := found[name]; ok {
			continue
		}
		s, err := streamByName(ctx, c, group, name)
		if err != nil {
			return nil, err
		}
		if s != nil {
			found[name] = *s
		}
	}
	return sortedStreams(found), nil
}

// streamByName looks one stream up by name prefix; other streams sharing the prefix
// ("i-0abc" and "i-0abcd") are skipped.
func streamByName(ctx context.Context, c *regionClients, group, name string) (*snapshot.LogStream, error) {
	pages := cloudwatchlogs.NewDescribeLogStreamsPaginator(c.logs, &cloudwatchlogs.DescribeLogStreamsInput{
		LogGroupName: aws.String(group), LogStreamNamePrefix: aws.String(name),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, s := range page.LogStreams {
			if aws.ToString(s.LogStreamName) == name {
				st := streamFromAPI(s)
				return &st, nil
			}
		}
	}
	return nil, nil
}

func streamFromAPI(s logstypes.LogStream) snapshot.LogStream {
	return snapshot.LogStream{
		Name:               aws.ToString(s.LogStreamName),
		LastIngestionTime:  millis(s.LastIngestionTime),
		LastEventTimestamp: millis(s.LastEventTimestamp),
	}
}

func millis(ms *int64) *time.Time {
	if ms == nil || *ms == 0 {
		return nil
	}
	t := time.UnixMilli(*ms).UTC()
	return &t
}

func sortedStreams(m map[string]snapshot.LogStream) []snapshot.LogStream {
	out := make([]snapshot.LogStream, 0, len(m))
	for _, s := range m {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// logGroupEntry returns the group's entry in d, adding one (kept sorted) if the group was not
// listed, e.g. because DescribeLogGroups failed.
func logGroupEntry(d *snapshot.LogsData, name string) *snapshot.LogGroup {
	i := sort.Search(len(d.LogGroups), func(i int) bool { return d.LogGroups[i].Name >= name })
	if i < len(d.LogGroups) && d.LogGroups[i].Name == name {
		return &d.LogGroups[i]
	}
	d.LogGroups = append(d.LogGroups, snapshot.LogGroup{})
	copy(d.LogGroups[i+1:], d.LogGroups[i:])
	d.LogGroups[i] = snapshot.LogGroup{Name: name}
	return &d.LogGroups[i]
}

func isNotFound(err error) bool {
	var nf *logstypes.ResourceNotFoundException
	return errors.As(err, &nf)
}
