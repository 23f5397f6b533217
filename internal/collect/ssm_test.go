package collect

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroups"
	rgtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroups/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/motoserver"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

const sshRegion = "ap-northeast-2"

// moto's AMI catalogue: an Ubuntu and an Amazon Linux 2 image.
const (
	ubuntuAMI = "ami-1e749f67"
	amzn2AMI  = "ami-04681a1dbd79675a5"
)

// agentSetup is the CloudWatch Agent setup of the auth.log SSH-login alarm design and the AWS
// Well-Architected security lab for two instances of different platforms, with one knob per
// link so that a test can break exactly one.
type agentSetup struct {
	ubuntuTags       map[string]string // association targets tag ssh-logs=auth
	amznTags         map[string]string
	ubuntuPath       string        // what the Ubuntu configuration collects
	amznStreamAge    time.Duration // age of the newest event in the Amazon Linux stream
	skipUbuntuStream bool
	// ubuntuGroup targets the Ubuntu configuration's association at a resource group instead
	// of the tag: "tag-group" (a tag query for ssh-logs=auth), "other-tag-group" (a query for
	// a tag the instance lacks) or "stack-group" (the group of a CloudFormation stack that
	// creates the Ubuntu instance).
	ubuntuGroup string
	// amznJournalUnits, when set, makes the Amazon Linux configuration collect the journal of
	// these units (to the same group and stream) instead of /var/log/secure.
	amznJournalUnits []string
	// amznInventory, when set, is the Amazon Linux instance's AWS:Application inventory (the
	// package names), put with ssm:PutInventory.
	amznInventory []string
}

func defaultAgentSetup() agentSetup {
	return agentSetup{
		ubuntuTags: map[string]string{"ssh-logs": "auth"},
		amznTags:   map[string]string{"Name": "web"},
		ubuntuPath: "/var/log/auth.log",
	}
}

// build creates, in sshRegion: an instance profile; an Ubuntu instance configured by a
// tag-targeted ManageAgent association and an Amazon Linux instance configured by a
// ManageAgent Run Command (as in the AWS Well-Architected security lab), each shipping its SSH
// log to its own {instance_id} stream. It returns the two instance ids.
func (s agentSetup) build(t *testing.T, srv *motoserver.Server) (ubuntuID, amznID string) {
	t.Helper()
	ctx := motoserver.Ctx(t)
	cfg := srv.Config(sshRegion)
	instanceProfile(t, cfg, "cw-agent", ssmCorePolicy)
	ec := ec2.NewFromConfig(cfg)
	run := func(ami string, tags map[string]string) string {
		in := &ec2.RunInstancesInput{ImageId: aws.String(ami), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
			IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String("cw-agent")}}
		if len(tags) > 0 {
			spec := ec2types.TagSpecification{ResourceType: ec2types.ResourceTypeInstance}
			for k, v := range tags {
				spec.Tags = append(spec.Tags, ec2types.Tag{Key: aws.String(k), Value: aws.String(v)})
			}
			in.TagSpecifications = []ec2types.TagSpecification{spec}
		}
		out, err := ec.RunInstances(ctx, in)
		if err != nil {
			t.Fatalf("RunInstances %s: %v", ami, err)
		}
		return aws.ToString(out.Instances[0].InstanceId)
	}
	ubuntuID, amznID = run(ubuntuAMI, s.ubuntuTags), run(amzn2AMI, s.amznTags)
	target := ssmtypes.Target{Key: aws.String("tag:ssh-logs"), Values: []string{"auth"}}
	if s.ubuntuGroup != "" {
		target = ssmtypes.Target{Key: aws.String("resource-groups:Name"), Values: []string{"ssh-fleet"}}
		query := rgtypes.ResourceQuery{Type: rgtypes.QueryTypeTagFilters10, Query: aws.String(`{"ResourceTypeFilters":["AWS::EC2::Instance"],"TagFilters":[{"Key":"ssh-logs","Values":["auth"]}]}`)}
		switch s.ubuntuGroup {
		case "other-tag-group":
			query.Query = aws.String(`{"ResourceTypeFilters":["AWS::EC2::Instance"],"TagFilters":[{"Key":"ssh-logs","Values":["secure"]}]}`)
		case "stack-group":
			// The Ubuntu instance is the stack's, and the group is the stack's.
			if _, err := ec.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{ubuntuID}}); err != nil {
				t.Fatal(err)
			}
			cf := cloudformation.NewFromConfig(cfg)
			stack, err := cf.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String("ssh-fleet"), TemplateBody: aws.String(
				`{"Resources":{"Web":{"Type":"AWS::EC2::Instance","Properties":{"ImageId":"` + ubuntuAMI + `","IamInstanceProfile":"cw-agent"}}}}`)})
			if err != nil {
				t.Fatalf("CreateStack: %v", err)
			}
			res, err := cf.ListStackResources(ctx, &cloudformation.ListStackResourcesInput{StackName: stack.StackId})
			if err != nil || len(res.StackResourceSummaries) != 1 {
				t.Fatalf("ListStackResources: %+v %v", res, err)
			}
			ubuntuID = aws.ToString(res.StackResourceSummaries[0].PhysicalResourceId)
			query = rgtypes.ResourceQuery{Type: rgtypes.QueryTypeCloudformationStack10,
				Query: aws.String(`{"ResourceTypeFilters":["AWS::AllSupported"],"StackIdentifier":"` + aws.ToString(stack.StackId) + `"}`)}
		}
		if _, err := resourcegroups.NewFromConfig(cfg).CreateGroup(ctx, &resourcegroups.CreateGroupInput{Name: aws.String("ssh-fleet"), ResourceQuery: &query}); err != nil {
			t.Fatalf("CreateGroup: %v", err)
		}
	}

	sm := ssm.NewFromConfig(cfg)
	put := func(name, path, group string) {
		value := fmt.Sprintf(`{"agent":{"run_as_user":"root"},"logs":{"logs_collected":{"files":{"collect_list":[
			{"file_path":"/var/log/httpd/access_log","log_group_name":%q,"log_stream_name":"apache-access-logs"},
			{"file_path":%q,"log_group_name":%q,"log_stream_name":"{instance_id}"}]}}}}`, group, path, group)
		if _, err := sm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(value), Type: ssmtypes.ParameterTypeString}); err != nil {
			t.Fatalf("PutParameter %s: %v", name, err)
		}
	}
	put("AmazonCloudWatch-ubuntu", s.ubuntuPath, "EC2-SSH-Logs")
	if s.amznJournalUnits == nil {
		put("AmazonCloudWatch-securitylab-cw-config", "/var/log/secure", "securitylablogs")
	} else {
		units, _ := json.Marshal(s.amznJournalUnits)
		value := fmt.Sprintf(`{"logs":{"logs_collected":{
			"files":{"collect_list":[{"file_path":"/var/log/httpd/access_log","log_group_name":"securitylablogs","log_stream_name":"apache-access-logs"}]},
			"journald":{"collect_list":[{"log_group_name":"securitylablogs","units":%s}]}}}}`, units)
		if _, err := sm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("AmazonCloudWatch-securitylab-cw-config"), Value: aws.String(value), Type: ssmtypes.ParameterTypeString}); err != nil {
			t.Fatalf("PutParameter: %v", err)
		}
	}
	if s.amznInventory != nil {
		item := ssmtypes.InventoryItem{TypeName: aws.String("AWS:Application"), SchemaVersion: aws.String("1.1"),
			CaptureTime: aws.String(time.Now().UTC().Add(-time.Hour).Format(time.RFC3339))}
		for _, name := range s.amznInventory {
			item.Content = append(item.Content, map[string]string{"Name": name, "Version": "1.0", "PackageId": name + "-1.0.rpm"})
		}
		if _, err := sm.PutInventory(ctx, &ssm.PutInventoryInput{InstanceId: aws.String(amznID), Items: []ssmtypes.InventoryItem{item}}); err != nil {
			t.Fatalf("PutInventory: %v", err)
		}
	}
	params := func(loc string) map[string][]string {
		return map[string][]string{"action": {"configure"}, "mode": {"ec2"}, "optionalConfigurationSource": {"ssm"},
			"optionalConfigurationLocation": {loc}, "optionalRestart": {"yes"}}
	}
	if _, err := sm.CreateAssociation(ctx, &ssm.CreateAssociationInput{
		Name: aws.String("AmazonCloudWatch-ManageAgent"), AssociationName: aws.String("cw-agent-ubuntu"),
		Targets:    []ssmtypes.Target{target},
		Parameters: params("AmazonCloudWatch-ubuntu"),
	}); err != nil {
		t.Fatalf("CreateAssociation: %v", err)
	}
	if _, err := sm.SendCommand(ctx, &ssm.SendCommandInput{
		DocumentName: aws.String("AmazonCloudWatch-ManageAgent"), InstanceIds: []string{amznID},
		Parameters: params("AmazonCloudWatch-securitylab-cw-config"),
	}); err != nil {
		t.Fatalf("SendCommand: %v", err)
	}

	logs := cloudwatchlogs.NewFromConfig(cfg)
	ship := func(group, stream string, age time.Duration) {
		if _, err := logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)}); err != nil {
			t.Fatalf("CreateLogStream %s/%s: %v", group, stream, err)
		}
		line := "Nov 22 09:58:01 ip-10-0-0-5 sshd[1234]: Accepted publickey for ubuntu from 203.0.113.9 port 50022 ssh2: ED25519 SHA256:abc"
		if _, err := logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream),
			LogEvents: []logstypes.InputLogEvent{{Timestamp: aws.Int64(time.Now().Add(-age).UnixMilli()), Message: aws.String(line)}}}); err != nil {
			t.Fatalf("PutLogEvents %s/%s: %v", group, stream, err)
		}
	}
	for _, g := range []string{"EC2-SSH-Logs", "securitylablogs"} {
		if _, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(g)}); err != nil {
			t.Fatalf("CreateLogGroup %s: %v", g, err)
		}
	}
	if !s.skipUbuntuStream {
		ship("EC2-SSH-Logs", ubuntuID, time.Minute)
	}
	ship("securitylablogs", amznID, s.amznStreamAge+time.Minute)
	ship("securitylablogs", "apache-access-logs", 0)
	return ubuntuID, amznID
}

// al2023 makes the Amazon Linux instance report Amazon Linux 2023 to SSM.
func al2023(s *agentSetup) { s.amznTags = map[string]string{"ssm:platform-version": "2023"} }

// sshVerdicts collects the region live and runs the SSH-log check on the snapshot.
func sshVerdicts(t *testing.T, srv *motoserver.Server) (map[string]checks.Finding, *snapshot.Snapshot) {
	t.Helper()
	snap, err := New(Options{Regions: []string{sshRegion}}).Snapshot(motoserver.Ctx(t), []Target{{Config: srv.Config(sshRegion)}})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]checks.Finding{}
	for _, f := range checks.Run(snap, []*checks.Check{checks.SSMAgentSSHLogs()}, checks.Options{}) {
		if err := checks.SentenceProblem(f); err != nil {
			t.Error(err)
		}
		out[f.Resource] = f
	}
	return out, snap
}

func TestSSHLogsAgainstMoto(t *testing.T) {
	srv := motoserver.Start(t)
	tests := []struct {
		name   string
		modify func(*agentSetup)
		// which instance breaks and the message it must carry; "" means both PASS
		broken, want string
	}{
		{name: "agent setup on two platforms passes"},
		{name: "stale stream", modify: func(s *agentSetup) { s.amznStreamAge = 72 * time.Hour },
			broken: "amzn", want: "no data within 24h"},
		{name: "wrong path for Ubuntu", modify: func(s *agentSetup) { s.ubuntuPath = "/var/log/secure" },
			broken: "ubuntu", want: "wrong SSH log path for the platform"},
		{name: "agent command failed", modify: func(s *agentSetup) { s.amznTags = map[string]string{"ssm:command-status": "Failed"} },
			broken: "amzn", want: "the CloudWatch Agent command failed"},
		{name: "association no longer targets the instance", modify: func(s *agentSetup) { s.ubuntuTags = map[string]string{"ssh-logs": "none"} },
			broken: "ubuntu", want: "not covered by any CloudWatch Agent configuration"},
		{name: "instance not reporting to SSM", modify: func(s *agentSetup) { s.amznTags = map[string]string{"ssm:ping": "ConnectionLost"} },
			broken: "amzn", want: "not reporting to SSM (ping status ConnectionLost"},
		{name: "no stream for the instance", modify: func(s *agentSetup) { s.skipUbuntuStream = true },
			broken: "ubuntu", want: "has no stream"},
		// An association that targets a resource group covers the instances State Manager
		// resolves it to.
		{name: "association targets a tag-based resource group holding the instance", modify: func(s *agentSetup) { s.ubuntuGroup = "tag-group" }},
		{name: "association targets a tag-based resource group without the instance", modify: func(s *agentSetup) { s.ubuntuGroup = "other-tag-group" },
			broken: "ubuntu", want: "not covered by any CloudWatch Agent configuration"},
		{name: "association targets a CloudFormation stack group holding the instance", modify: func(s *agentSetup) { s.ubuntuGroup = "stack-group" }},
		// Amazon Linux 2023 ships without rsyslog: the journal, or a file only where the
		// inventory shows a syslog daemon (or there is no inventory to say).
		{name: "AL2023 journald entry for sshd", modify: func(s *agentSetup) { al2023(s); s.amznJournalUnits = []string{"sshd"} }},
		{name: "AL2023 journald entry for Debian's unit", modify: func(s *agentSetup) { al2023(s); s.amznJournalUnits = []string{"ssh", "cron"} },
			broken: "amzn", want: "do not include sshd.service"},
		{name: "AL2023 file entry, inventory lists no rsyslog", modify: func(s *agentSetup) { al2023(s); s.amznInventory = []string{"openssh-server", "chrony"} },
			broken: "amzn", want: "/var/log/secure is never written"},
		{name: "AL2023 file entry, inventory lists rsyslog", modify: func(s *agentSetup) { al2023(s); s.amznInventory = []string{"openssh-server", "rsyslog"} }},
		{name: "AL2023 file entry, no inventory", modify: al2023},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.Reset(t)
			s := defaultAgentSetup()
			if tt.modify != nil {
				tt.modify(&s)
			}
			ubuntuID, amznID := s.build(t, srv)
			got, snap := sshVerdicts(t, srv)
			if len(got) != 2 {
				t.Fatalf("findings = %+v, want one per instance", got)
			}
			for name, id := range map[string]string{"ubuntu": ubuntuID, "amzn": amznID} {
				f := got[id]
				if name == tt.broken {
					if f.Status != checks.Fail || !strings.Contains(f.Reasoning(), tt.want) {
						t.Errorf("%s (%s): %s %q, want FAIL containing %q", name, id, f.Status, f.Message, tt.want)
					}
				} else if f.Status != checks.Pass {
					t.Errorf("%s (%s): %s %q, want PASS (only %q should break)", name, id, f.Status, f.Message, tt.broken)
				}
			}
			if t.Failed() {
				r := snap.Accounts[0].Region(sshRegion)
				t.Logf("ssm: %+v\nlogs groups: %+v", r.SSM, r.Logs.LogGroups)
			}
		})
	}
}

// TestSSHStreamsListedNewestFirst covers the listing strategy (more wanted streams than
// streamsByPrefixMax in one group, among unrelated streams): every instance's stream is found,
// and a stale one is reported stale rather than missing.
func TestSSHStreamsListedNewestFirst(t *testing.T) {
	srv := motoserver.Start(t)
	ctx := motoserver.Ctx(t)
	cfg := srv.Config(sshRegion)
	instanceProfile(t, cfg, "cw-agent", ssmCorePolicy)
	sm, logs, ec := ssm.NewFromConfig(cfg), cloudwatchlogs.NewFromConfig(cfg), ec2.NewFromConfig(cfg)
	value := `{"logs":{"logs_collected":{"files":{"collect_list":[{"file_path":"/var/log/secure*","log_group_name":"fleet-ssh"}]}}}}`
	if _, err := sm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("AmazonCloudWatch-fleet"), Value: aws.String(value), Type: ssmtypes.ParameterTypeString}); err != nil {
		t.Fatal(err)
	}
	if _, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("fleet-ssh")}); err != nil {
		t.Fatal(err)
	}
	put := func(stream string, age time.Duration) {
		if _, err := logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("fleet-ssh"), LogStreamName: aws.String(stream)}); err != nil {
			t.Fatal(err)
		}
		if _, err := logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("fleet-ssh"), LogStreamName: aws.String(stream),
			LogEvents: []logstypes.InputLogEvent{{Timestamp: aws.Int64(time.Now().Add(-age).UnixMilli()), Message: aws.String("sshd[1]: Accepted publickey for ec2-user")}}}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 60; i++ { // unrelated streams, fresher than any instance's: a full first page
		put(fmt.Sprintf("other-%02d", i), 0)
	}
	var ids []string
	for i := 0; i < 5; i++ {
		out, err := ec.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(amzn2AMI), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
			IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: aws.String("cw-agent")}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, aws.ToString(out.Instances[0].InstanceId))
	}
	if _, err := sm.SendCommand(ctx, &ssm.SendCommandInput{DocumentName: aws.String("AmazonCloudWatch-ManageAgent"), InstanceIds: ids,
		Parameters: map[string][]string{"action": {"configure"}, "optionalConfigurationSource": {"ssm"}, "optionalConfigurationLocation": {"AmazonCloudWatch-fleet"}}}); err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		age := time.Duration(i+1) * time.Minute
		if i == 4 {
			age = 48 * time.Hour
		}
		put(id, age)
	}
	got, snap := sshVerdicts(t, srv)
	for i, id := range ids {
		want := checks.Pass
		if i == 4 {
			want = checks.Fail
		}
		if f := got[id]; f.Status != want || (want == checks.Fail && !strings.Contains(f.Reasoning(), "no data within 24h")) {
			t.Errorf("%s: %s %q, want %s", id, f.Status, f.Message, want)
		}
	}
	g := snap.Accounts[0].Region(sshRegion).Logs
	for _, lg := range g.LogGroups {
		if lg.Name == "fleet-ssh" && (len(lg.Streams) != 5 || len(lg.StreamsWanted) != 5) {
			t.Errorf("fleet-ssh streams = %d found of %d wanted, want 5 of 5 (and no unrelated streams kept)", len(lg.Streams), len(lg.StreamsWanted))
		}
	}
}
