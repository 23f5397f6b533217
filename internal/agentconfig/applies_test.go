package agentconfig

import (
	"testing"
	"time"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

func at(h int) *time.Time {
	t := time.Date(2026, 11, 20, h, 0, 0, 0, time.UTC)
	return &t
}

func params(action, location string) map[string][]string {
	return map[string][]string{ParamAction: {action}, ParamConfigSource: {"ssm"}, ParamConfigLocation: {location}}
}

func TestResolve(t *testing.T) {
	web := &snapshot.ManagedInstance{InstanceID: "i-web", Tags: map[string]string{"Role": "web"}}
	bare := &snapshot.ManagedInstance{InstanceID: "i-bare"}
	untagged := &snapshot.ManagedInstance{InstanceID: "i-x", TagsError: &snapshot.ReadError{Operation: "ec2:DescribeInstances", Message: "denied"}}
	byTag := snapshot.Association{AssociationID: "a-tag", Name: ManageAgentDocument, Status: "Success", LastRun: at(1),
		Targets: []snapshot.AssociationTarget{{Key: "tag:Role", Values: []string{"web"}}}, Parameters: params("configure", "AmazonCloudWatch-web")}
	byID := snapshot.Association{AssociationID: "a-id", Name: ManageAgentDocument, LastRun: at(2),
		Targets: []snapshot.AssociationTarget{{Key: "InstanceIds", Values: []string{"i-bare"}}}, Parameters: params("configure", "AmazonCloudWatch-bare")}
	all := snapshot.Association{AssociationID: "a-all", Name: ManageAgentDocument, LastRun: at(3),
		Targets: []snapshot.AssociationTarget{{Key: "InstanceIds", Values: []string{"*"}}}, Parameters: params("configure (append)", "AmazonCloudWatch-extra")}
	other := snapshot.Association{AssociationID: "a-other", Name: "AWS-UpdateSSMAgent",
		Targets: []snapshot.AssociationTarget{{Key: "InstanceIds", Values: []string{"*"}}}}
	rg := snapshot.Association{AssociationID: "a-rg", Name: ManageAgentDocument, Status: "Success", LastRun: at(1), Parameters: params("configure", "AmazonCloudWatch-rg"),
		Targets: []snapshot.AssociationTarget{{Key: "resource-groups:Name", Values: []string{"web"}}}}
	rgEC2Only := rg
	rgEC2Only.Targets = []snapshot.AssociationTarget{{Key: "resource-groups:Name", Values: []string{"web"}}, {Key: "resource-groups:ResourceTypeFilters", Values: []string{"AWS::EC2::Instance"}}}
	rgHybridOnly := rg
	rgHybridOnly.Targets = []snapshot.AssociationTarget{{Key: "resource-groups:Name", Values: []string{"web"}}, {Key: "resource-groups:ResourceTypeFilters", Values: []string{"AWS::SSM::ManagedInstance"}}}
	tagGroup := func(query string) []snapshot.ResourceGroup {
		return []snapshot.ResourceGroup{{Name: "web", QueryType: "TAG_FILTERS_1_0", Query: query}}
	}
	withGroups := func(groups []snapshot.ResourceGroup, assocs ...snapshot.Association) snapshot.SSMData {
		return snapshot.SSMData{Associations: assocs, ResourceGroups: groups}
	}
	stack := func(read bool, members ...string) []snapshot.ResourceGroup {
		return []snapshot.ResourceGroup{{Name: "web", QueryType: "CLOUDFORMATION_STACK_1_0", Query: `{"ResourceTypeFilters":["AWS::AllSupported"],"StackIdentifier":"arn:aws:cloudformation:us-east-1:123456789012:stack/web/1"}`,
			Members: members, MembersRead: read}}
	}
	cmd := func(id, inst, status, action, loc string, h int) snapshot.AgentCommand {
		return snapshot.AgentCommand{CommandID: id, InstanceID: inst, DocumentName: ManageAgentDocument, Status: status, RequestedAt: at(h), Parameters: params(action, loc)}
	}

	tests := []struct {
		name       string
		ssm        snapshot.SSMData
		mi         *snapshot.ManagedInstance
		want       []string // parameters in effect
		assoc      bool
		failed     string
		stopped    bool
		unresolved bool
	}{
		{name: "tag-targeted association", ssm: snapshot.SSMData{Associations: []snapshot.Association{byTag, other}}, mi: web,
			want: []string{"AmazonCloudWatch-web"}, assoc: true},
		{name: "tag target does not select an instance without the tag", ssm: snapshot.SSMData{Associations: []snapshot.Association{byTag}}, mi: bare},
		{name: "id-targeted association, then an append for every instance", ssm: snapshot.SSMData{Associations: []snapshot.Association{all, byID}}, mi: bare,
			want: []string{"AmazonCloudWatch-bare", "AmazonCloudWatch-extra"}, assoc: true},
		{name: "tags unreadable: unresolved, not negative", ssm: snapshot.SSMData{Associations: []snapshot.Association{byTag}}, mi: untagged, unresolved: true},
		// A resource group target is resolved as State Manager resolves it.
		{name: "resource group not collected: unresolved", ssm: snapshot.SSMData{Associations: []snapshot.Association{rg}}, mi: bare, unresolved: true},
		{name: "resource group that could not be read: unresolved", mi: web, unresolved: true,
			ssm: withGroups([]snapshot.ResourceGroup{{Name: "web", Error: &snapshot.ReadError{Operation: "resource-groups:GetGroupQuery", Message: "denied"}}}, rg)},
		{name: "resource group that does not exist holds nothing", mi: web, ssm: withGroups([]snapshot.ResourceGroup{{Name: "web", NotFound: true}}, rg)},
		{name: "tag group: its query selects the tagged instance", mi: web, assoc: true, want: []string{"AmazonCloudWatch-rg"},
			ssm: withGroups(tagGroup(`{"ResourceTypeFilters":["AWS::EC2::Instance"],"TagFilters":[{"Key":"Role","Values":["web","api"]}]}`), rg)},
		{name: "tag group: a key with any value", mi: web, assoc: true, want: []string{"AmazonCloudWatch-rg"},
			ssm: withGroups(tagGroup(`{"ResourceTypeFilters":["AWS::AllSupported"],"TagFilters":[{"Key":"Role","Values":[]}]}`), rg)},
		{name: "tag group: every tag filter must hold", mi: web,
			ssm: withGroups(tagGroup(`{"ResourceTypeFilters":["AWS::EC2::Instance"],"TagFilters":[{"Key":"Role","Values":["web"]},{"Key":"Env","Values":["prod"]}]}`), rg)},
		{name: "tag group: another value is not a member", mi: web,
			ssm: withGroups(tagGroup(`{"ResourceTypeFilters":["AWS::EC2::Instance"],"TagFilters":[{"Key":"Role","Values":["db"]}]}`), rg)},
		{name: "tag group of hybrid instances only", mi: web,
			ssm: withGroups(tagGroup(`{"ResourceTypeFilters":["AWS::SSM::ManagedInstance"],"TagFilters":[{"Key":"Role","Values":["web"]}]}`), rg)},
		{name: "tag group: the instance's tags unreadable: unresolved", mi: untagged, unresolved: true,
			ssm: withGroups(tagGroup(`{"ResourceTypeFilters":["AWS::EC2::Instance"],"TagFilters":[{"Key":"Role","Values":["web"]}]}`), rg)},
		{name: "the association's type filter admits EC2 instances", mi: web, assoc: true, want: []string{"AmazonCloudWatch-rg"},
			ssm: withGroups(tagGroup(`{"ResourceTypeFilters":["AWS::AllSupported"],"TagFilters":[{"Key":"Role"}]}`), rgEC2Only)},
		{name: "the association's type filter excludes EC2 instances", mi: web,
			ssm: withGroups(tagGroup(`{"ResourceTypeFilters":["AWS::AllSupported"],"TagFilters":[{"Key":"Role"}]}`), rgHybridOnly)},
		{name: "stack group: a member of the stack", mi: bare, assoc: true, want: []string{"AmazonCloudWatch-rg"},
			ssm: withGroups(stack(true, "arn:aws:ec2:us-east-1:123456789012:instance/i-bare", "arn:aws:s3:::bucket"), rg)},
		{name: "stack group: not a member", mi: web, ssm: withGroups(stack(true, "arn:aws:ec2:us-east-1:123456789012:instance/i-bare"), rg)},
		{name: "stack group whose members were not read: unresolved", mi: bare, unresolved: true, ssm: withGroups(stack(false), rg)},
		{name: "group of a query type lookout does not know: unresolved", mi: bare, unresolved: true,
			ssm: withGroups([]snapshot.ResourceGroup{{Name: "web", QueryType: "SERVICE_LINKED"}}, rg)},
		{name: "a later configure command replaces the association's configuration", mi: bare, want: []string{"AmazonCloudWatch-cmd"},
			ssm: snapshot.SSMData{Associations: []snapshot.Association{byID}, Commands: []snapshot.AgentCommand{cmd("c1", "i-bare", "Success", "configure", "AmazonCloudWatch-cmd", 5)}}},
		{name: "an association run after a command replaces the command's configuration", mi: bare, assoc: true, want: []string{"AmazonCloudWatch-bare"},
			ssm: snapshot.SSMData{Associations: []snapshot.Association{byID}, Commands: []snapshot.AgentCommand{cmd("c1", "i-bare", "Success", "configure", "AmazonCloudWatch-cmd", 1)}}},
		{name: "an append command after the association adds to it", mi: bare, assoc: true, want: []string{"AmazonCloudWatch-bare", "AmazonCloudWatch-more"},
			ssm: snapshot.SSMData{Associations: []snapshot.Association{byID}, Commands: []snapshot.AgentCommand{cmd("c1", "i-bare", "Success", "configure (append)", "AmazonCloudWatch-more", 5)}}},
		{name: "a failed command after the association does not change it", mi: bare, assoc: true, want: []string{"AmazonCloudWatch-bare"}, failed: "c1",
			ssm: snapshot.SSMData{Associations: []snapshot.Association{byID}, Commands: []snapshot.AgentCommand{cmd("c1", "i-bare", "Failed", "configure", "AmazonCloudWatch-cmd", 5)}}},
		{name: "latest successful command", mi: bare, want: []string{"AmazonCloudWatch-new"},
			ssm: snapshot.SSMData{Commands: []snapshot.AgentCommand{
				cmd("c2", "i-bare", "Success", "configure", "AmazonCloudWatch-new", 6),
				cmd("c1", "i-bare", "Success", "configure", "AmazonCloudWatch-old", 5),
				cmd("c3", "i-web", "Success", "configure", "AmazonCloudWatch-web", 7)}}},
		{name: "only failed commands", mi: bare, failed: "c1",
			ssm: snapshot.SSMData{Commands: []snapshot.AgentCommand{cmd("c1", "i-bare", "Failed", "configure", "AmazonCloudWatch-x", 5)}}},
		{name: "failure after a success keeps the success and reports the failure", mi: bare, want: []string{"AmazonCloudWatch-ok"}, failed: "c2",
			ssm: snapshot.SSMData{Commands: []snapshot.AgentCommand{
				cmd("c1", "i-bare", "Success", "configure", "AmazonCloudWatch-ok", 5),
				cmd("c2", "i-bare", "TimedOut", "configure", "AmazonCloudWatch-bad", 6)}}},
		{name: "stopped after configure", mi: bare, want: []string{"AmazonCloudWatch-ok"}, stopped: true,
			ssm: snapshot.SSMData{Commands: []snapshot.AgentCommand{
				cmd("c1", "i-bare", "Success", "configure", "AmazonCloudWatch-ok", 5),
				cmd("c2", "i-bare", "Success", "stop", "", 6)}}},
		{name: "configure (remove) drops the configuration", mi: bare, want: []string{"AmazonCloudWatch-b"},
			ssm: snapshot.SSMData{Commands: []snapshot.AgentCommand{
				cmd("c1", "i-bare", "Success", "configure", "AmazonCloudWatch-a", 5),
				cmd("c2", "i-bare", "Success", "configure (append)", "AmazonCloudWatch-b", 6),
				cmd("c3", "i-bare", "Success", "configure (remove)", "AmazonCloudWatch-a", 7)}}},
		{name: "nothing at all", mi: bare},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Resolve(&tt.ssm, tt.mi)
			if (res.Unresolved != "") != tt.unresolved {
				t.Fatalf("Unresolved = %q, want unresolved=%v", res.Unresolved, tt.unresolved)
			}
			var got []string
			for _, s := range res.Sources {
				got = append(got, s.Parameter)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("sources = %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("sources = %v, want %v", got, tt.want)
				}
			}
			if res.ByAssociation != tt.assoc {
				t.Errorf("ByAssociation = %v, want %v", res.ByAssociation, tt.assoc)
			}
			if (res.Failed == nil && tt.failed != "") || (res.Failed != nil && res.Failed.ID != tt.failed) {
				t.Errorf("Failed = %+v, want %q", res.Failed, tt.failed)
			}
			if (res.Stopped != nil) != tt.stopped {
				t.Errorf("Stopped = %+v, want %v", res.Stopped, tt.stopped)
			}
		})
	}
}
