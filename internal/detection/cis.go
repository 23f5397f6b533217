package detection

import (
	"bytes"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
)

// The CIS "Monitoring" controls beyond the three above (root usage, console sign-in without
// MFA, API calls without MFA): thirteen activities, each defined once as a set of CloudTrail
// records and offered in both pattern languages.
//
//   - CISFilter(key) holds the records as CloudTrail delivers them to CloudWatch Logs, for
//     the metric filters on a trail's log group. A multi-region trail delivers every region's
//     records to one log group, so the records come from various regions.
//   - CISEvent(key, region, account) wraps the same records as EventBridge delivers CloudTrail
//     events to the default bus of one region (built in Go by cloudTrailEnvelope, not kept as
//     duplicate files), plus one negative of its own: a custom event (source "custom.app")
//     with the same detail-type and detail, which anyone allowed events:PutEvents can send.
//
// The positives of a control are every event name its reference pattern lists, from the
// service that emits it. The negatives are what a careless pattern catches: read-only calls of
// the same service, write calls a wildcard or a missing eventSource clause sweeps in, and, for
// the five EC2 network families, every change of the neighbouring families. Events on which
// acceptable patterns disagree are in neither set; each control's comment names them.

// CISControl identifies one of the monitored activities.
type CISControl struct {
	// Key names the control in CISFilter and CISEvent, e.g. "iam-policy-changes".
	Key string
	// Summary describes the activity, e.g. "IAM policy changes".
	Summary string
	// RefPattern is the reference metric filter pattern: the Security Hub text (CloudWatch.2
	// and .4–.14) or, for Organizations, which Security Hub does not grade, the CIS text. It is
	// documentation and a test fixture, never used to judge a customer's pattern by text.
	RefPattern string
	// Delivery says where the events are delivered: DeliveryRegional (in the region of the
	// call, so every region), DeliveryUSEast1 (global services: IAM and Organizations events
	// arrive in us-east-1 only) or DeliverySignin (console sign-in events arrive in the region
	// of the sign-in endpoint used: lookout's sign-in regions). A metric filter on a
	// multi-region trail sees them wherever they land; an EventBridge rule sees only its own
	// region's.
	Delivery string
}

// Values of CISControl.Delivery.
const (
	DeliveryRegional = "regional"
	DeliveryUSEast1  = "us-east-1"
	DeliverySignin   = "signin"
)

// ctCase is one CloudTrail record of the corpus and the words naming it in verdicts.
type ctCase struct{ file, name string }

// cisSpec is a control with its events.
type cisSpec struct {
	CISControl
	// eventSource is the eventSource of every positive ("" when they span services).
	eventSource string
	positives   []ctCase
	negatives   []ctCase
}

// calls lists the records "<prefix>-<kebab-case event name>.json", named "<svc>:<EventName>".
func calls(prefix, svc string, names ...string) []ctCase {
	out := make([]ctCase, len(names))
	for i, n := range names {
		out[i] = ctCase{prefix + "-" + kebab(n) + ".json", svc + ":" + n}
	}
	return out
}

// kebab turns an API name into a file-name stem: "PutBucketAcl" -> "put-bucket-acl".
func kebab(s string) string {
	var b strings.Builder
	for i, c := range s {
		if c >= 'A' && c <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			c += 'a' - 'A'
		}
		b.WriteRune(c)
	}
	return b.String()
}

func joinCases(lists ...[]ctCase) []ctCase {
	var out []ctCase
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// The five EC2 network families. One rule or filter may watch several of them (a "network
// changes" alarm covering all five monitors each): firing on another monitored family's
// changes is not noise, so a family's negatives are the reads and routine writes a careless
// pattern sweeps in, never another family's changes (see withoutWatchedNegatives).
var (
	sgChanges = calls("ec2", "ec2", "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress",
		"RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress", "CreateSecurityGroup", "DeleteSecurityGroup")
	naclChanges = calls("ec2", "ec2", "CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl",
		"DeleteNetworkAclEntry", "ReplaceNetworkAclEntry", "ReplaceNetworkAclAssociation")
	gatewayChanges = calls("ec2", "ec2", "CreateCustomerGateway", "DeleteCustomerGateway", "AttachInternetGateway",
		"CreateInternetGateway", "DeleteInternetGateway", "DetachInternetGateway")
	routeChanges = calls("ec2", "ec2", "CreateRoute", "CreateRouteTable", "ReplaceRoute",
		"ReplaceRouteTableAssociation", "DeleteRouteTable", "DeleteRoute", "DisassociateRouteTable")
	vpcChanges = calls("ec2", "ec2", "CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "AcceptVpcPeeringConnection",
		"CreateVpcPeeringConnection", "DeleteVpcPeeringConnection", "RejectVpcPeeringConnection",
		"AttachClassicLinkVpc", "DetachClassicLinkVpc", "DisableVpcClassicLink", "EnableVpcClassicLink")
)

// networkFamilies are the five families in the order each one's negatives list the others.
var networkFamilies = [][]ctCase{sgChanges, naclChanges, gatewayChanges, routeChanges, vpcChanges}

// networkSpec is the control of networkFamilies[family]: regional, from ec2.amazonaws.com, the
// family's changes as positives; as negatives, the reads a wildcard sweeps in and CreateTags on
// one of the family's resources.
func networkSpec(c CISControl, family int, reads []ctCase, createTags ctCase) cisSpec {
	c.Delivery = DeliveryRegional
	return cisSpec{CISControl: c, eventSource: "ec2.amazonaws.com", positives: networkFamilies[family], negatives: joinCases(reads, []ctCase{createTags})}
}

// withoutWatchedNegatives drops from each control's negatives every event that another CIS
// monitoring control watches (one of its positives). A rule or alarm may serve several
// controls at once — one "network changes" rule for the five EC2 families, one pattern for
// IAM and Organizations policy changes — and firing on another monitored activity tells the
// person it reaches something they asked to hear. Noise is what no control asks to watch.
func withoutWatchedNegatives(specs []cisSpec) []cisSpec {
	watched := map[string]bool{}
	for _, s := range specs {
		for _, c := range s.positives {
			watched[c.file] = true
		}
	}
	for i := range specs {
		var kept []ctCase
		for _, c := range specs[i].negatives {
			if !watched[c.file] {
				kept = append(kept, c)
			}
		}
		specs[i].negatives = kept
	}
	return specs
}

var cisSpecs = withoutWatchedNegatives([]cisSpec{
	// Unauthorized API calls (CIS 4.1 / 5.1, Security Hub CloudWatch.2).
	//
	// Positives: calls refused for lack of permission, under the three spellings AWS uses:
	// AccessDenied (S3, IAM, STS), Client.UnauthorizedOperation (EC2) and
	// AccessDeniedException (KMS and most JSON APIs). Negatives: successful calls — including
	// a successful HeadBucket and a successful call by delivery.logs.amazonaws.com, which the
	// CIS v1.4/v3.0 text `... || ($.sourceIPAddress!=delivery.logs.amazonaws.com) ||
	// ($.eventName!=HeadBucket)` matches, so an alarm on it is always in ALARM — and calls that
	// failed for another reason (a missing role, an EC2 dry run), which `$.errorCode = *`
	// catches. In neither set: a denied HeadBucket and a denied GetBucketAcl by
	// delivery.logs.amazonaws.com, the noise CIS v4.0+ excludes and the Security Hub text
	// counts.
	//
	// On EventBridge, note that ListBuckets and Decrypt are read-only events: a rule receives
	// them only in state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS. The detection judges
	// the pattern; the rule's state is the check's business.
	{
		CISControl: CISControl{
			Key:        "unauthorized-api-calls",
			Summary:    "unauthorized API calls",
			RefPattern: `{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}`,
			Delivery:   DeliveryRegional,
		},
		positives: []ctCase{
			{"s3-list-buckets-access-denied.json", "s3:ListBuckets by an IAM user, errorCode AccessDenied"},
			{"iam-user-access-key-call.json", "ec2:RunInstances by an IAM user, errorCode Client.UnauthorizedOperation"},
			{"ec2-run-instances-unauthorized.json", "ec2:RunInstances by an assumed role, errorCode Client.UnauthorizedOperation"},
			{"kms-decrypt-access-denied.json", "kms:Decrypt by an assumed role, errorCode AccessDeniedException"},
		},
		negatives: []ctCase{
			{"s3-list-buckets.json", "successful s3:ListBuckets (no errorCode)"},
			{"s3-head-bucket.json", "successful s3:HeadBucket (no errorCode)"},
			{"s3-get-bucket-acl-log-delivery.json", "successful s3:GetBucketAcl by delivery.logs.amazonaws.com"},
			{"assumed-role-call-no-mfa.json", "successful ec2:TerminateInstances"},
			{"iam-get-role-no-such-entity.json", "iam:GetRole failed with NoSuchEntityException (not an authorization failure)"},
			{"ec2-run-instances-dry-run.json", "ec2:RunInstances dry run, errorCode Client.DryRunOperation (not an authorization failure)"},
		},
	},
	// IAM policy changes (CIS 4.4 / 5.4, CloudWatch.4): the sixteen calls that create, change,
	// attach or delete inline and managed policies.
	//
	// Negatives: other IAM writes (CreateRole, CreateUser, TagPolicy) and reads (GetPolicy,
	// ListPolicies). In neither set: SetDefaultPolicyVersion, UpdateAssumeRolePolicy and the
	// permissions-boundary calls, which change permissions too and which a better pattern
	// adds; and Organizations' CreatePolicy / DeletePolicy, which the reference (it has no
	// eventSource clause) matches and a pattern restricted to iam.amazonaws.com does not.
	{
		CISControl: CISControl{
			Key:        "iam-policy-changes",
			Summary:    "IAM policy changes",
			RefPattern: `{($.eventName=DeleteGroupPolicy) || ($.eventName=DeleteRolePolicy) || ($.eventName=DeleteUserPolicy) || ($.eventName=PutGroupPolicy) || ($.eventName=PutRolePolicy) || ($.eventName=PutUserPolicy) || ($.eventName=CreatePolicy) || ($.eventName=DeletePolicy) || ($.eventName=CreatePolicyVersion) || ($.eventName=DeletePolicyVersion) || ($.eventName=AttachRolePolicy) || ($.eventName=DetachRolePolicy) || ($.eventName=AttachUserPolicy) || ($.eventName=DetachUserPolicy) || ($.eventName=AttachGroupPolicy) || ($.eventName=DetachGroupPolicy)}`,
			Delivery:   DeliveryUSEast1,
		},
		eventSource: "iam.amazonaws.com",
		positives: calls("iam", "iam", "DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy",
			"PutRolePolicy", "PutUserPolicy", "CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion",
			"AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy", "DetachUserPolicy", "AttachGroupPolicy", "DetachGroupPolicy"),
		negatives: calls("iam", "iam", "CreateRole", "CreateUser", "TagPolicy", "GetPolicy", "ListPolicies"),
	},
	// CloudTrail configuration changes (CIS 4.5 / 5.5, CloudWatch.5).
	//
	// Negatives: reads (DescribeTrails, GetTrailStatus, LookupEvents) and AddTags, all of which
	// `$.eventSource = cloudtrail.amazonaws.com` catches. In neither set: PutEventSelectors,
	// which can stop a trail logging management events and which a better pattern adds.
	{
		CISControl: CISControl{
			Key:        "cloudtrail-changes",
			Summary:    "CloudTrail configuration changes",
			RefPattern: `{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || ($.eventName=DeleteTrail) || ($.eventName=StartLogging) || ($.eventName=StopLogging)}`,
			Delivery:   DeliveryRegional,
		},
		eventSource: "cloudtrail.amazonaws.com",
		positives:   calls("cloudtrail", "cloudtrail", "CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"),
		negatives:   calls("cloudtrail", "cloudtrail", "DescribeTrails", "GetTrailStatus", "LookupEvents", "AddTags"),
	},
	// Console authentication failures (CIS 4.6 / 5.6, CloudWatch.6).
	//
	// Positives: an IAM user's and the root user's failed logins (errorMessage "Failed
	// authentication", responseElements.ConsoleLogin "Failure"). Negatives: successful logins,
	// which `$.eventName = ConsoleLogin` alone catches. In neither set: a login attempt for a
	// user name that does not exist ("No username found in supplied account"), which the
	// reference misses and a `responseElements.ConsoleLogin = "Failure"` variant catches.
	{
		CISControl: CISControl{
			Key:        "console-auth-failures",
			Summary:    "console authentication failures",
			RefPattern: `{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")}`,
			Delivery:   DeliverySignin,
		},
		eventSource: "signin.amazonaws.com",
		positives: []ctCase{
			{"iam-user-console-login-failure.json", "IAM user console login, Failed authentication"},
			{"root-console-login-failure.json", "root console login, Failed authentication"},
		},
		negatives: []ctCase{
			{"iam-user-console-login-mfa.json", "IAM user console login, success with MFA"},
			{"iam-user-console-login-no-mfa.json", "IAM user console login, success without MFA"},
			{"root-console-login.json", "root console login, success"},
			{"sso-console-login.json", "IAM Identity Center (SSO) console login, success"},
		},
	},
	// Disabling or scheduled deletion of customer managed keys (CIS 4.7 / 5.7, CloudWatch.7).
	//
	// Negatives: EnableKey, CreateKey, DescribeKey, and the look-alikes DisableKeyRotation
	// (caught by DisableKey*) and CancelKeyDeletion (caught by *KeyDeletion).
	{
		CISControl: CISControl{
			Key:        "kms-key-disable",
			Summary:    "disabling or scheduled deletion of customer managed KMS keys",
			RefPattern: `{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion))}`,
			Delivery:   DeliveryRegional,
		},
		eventSource: "kms.amazonaws.com",
		positives: append(calls("kms", "kms", "DisableKey", "ScheduleKeyDeletion"),
			ctCase{"assumed-role-call-mfa.json", "kms:ScheduleKeyDeletion by an assumed role (console session)"}),
		negatives: calls("kms", "kms", "EnableKey", "CreateKey", "DescribeKey", "DisableKeyRotation", "CancelKeyDeletion"),
	},
	// S3 bucket policy changes (CIS 4.8 / 5.8, CloudWatch.8): bucket policy, ACL, CORS,
	// lifecycle and replication changes. (CloudTrail names PutBucketLifecycleConfiguration
	// "PutBucketLifecycle".)
	//
	// Negatives: reads (GetBucketPolicy, GetBucketAcl), PutBucketTagging (caught by PutBucket*)
	// and CreateBucket. In neither set: PutBucketPublicAccessBlock, which a better pattern adds.
	{
		CISControl: CISControl{
			Key:        "s3-bucket-policy-changes",
			Summary:    "S3 bucket policy changes",
			RefPattern: `{($.eventSource=s3.amazonaws.com) && (($.eventName=PutBucketAcl) || ($.eventName=PutBucketPolicy) || ($.eventName=PutBucketCors) || ($.eventName=PutBucketLifecycle) || ($.eventName=PutBucketReplication) || ($.eventName=DeleteBucketPolicy) || ($.eventName=DeleteBucketCors) || ($.eventName=DeleteBucketLifecycle) || ($.eventName=DeleteBucketReplication))}`,
			Delivery:   DeliveryRegional,
		},
		eventSource: "s3.amazonaws.com",
		positives: joinCases(calls("s3", "s3", "PutBucketAcl", "PutBucketPolicy", "PutBucketCors", "PutBucketLifecycle",
			"PutBucketReplication", "DeleteBucketPolicy", "DeleteBucketCors", "DeleteBucketLifecycle", "DeleteBucketReplication"),
			[]ctCase{
				{"iam-user-console-call-mfa.json", "s3:PutBucketPolicy by an IAM user (console session)"},
				{"assumed-root-api-call.json", "s3:DeleteBucketPolicy by an AssumedRoot session"},
			}),
		negatives: calls("s3", "s3", "GetBucketPolicy", "GetBucketAcl", "PutBucketTagging", "CreateBucket"),
	},
	// AWS Config configuration changes (CIS 4.9 / 5.9, CloudWatch.9).
	//
	// Negatives: StartConfigurationRecorder, the reads, and PutEvaluations (the steady
	// stream of Config rule results, caught by Put*). In neither set: DeleteConfigurationRecorder,
	// which a better pattern adds.
	{
		CISControl: CISControl{
			Key:        "config-changes",
			Summary:    "AWS Config configuration changes",
			RefPattern: `{($.eventSource=config.amazonaws.com) && (($.eventName=StopConfigurationRecorder) || ($.eventName=DeleteDeliveryChannel) || ($.eventName=PutDeliveryChannel) || ($.eventName=PutConfigurationRecorder))}`,
			Delivery:   DeliveryRegional,
		},
		eventSource: "config.amazonaws.com",
		positives: calls("config", "config", "StopConfigurationRecorder", "DeleteDeliveryChannel", "PutDeliveryChannel",
			"PutConfigurationRecorder"),
		negatives: calls("config", "config", "StartConfigurationRecorder", "DescribeConfigurationRecorders",
			"DescribeDeliveryChannels", "PutEvaluations"),
	},
	// Security group changes (CIS 4.10 / 5.10, CloudWatch.10). Negatives: DescribeSecurityGroups
	// (caught by *SecurityGroup*), CreateTags on a security group, and the other four network
	// families' changes. In neither set: ModifySecurityGroupRules, which edits rules in place
	// and which a better pattern adds.
	networkSpec(CISControl{
		Key:        "security-group-changes",
		Summary:    "security group changes",
		RefPattern: `{($.eventName=AuthorizeSecurityGroupIngress) || ($.eventName=AuthorizeSecurityGroupEgress) || ($.eventName=RevokeSecurityGroupIngress) || ($.eventName=RevokeSecurityGroupEgress) || ($.eventName=CreateSecurityGroup) || ($.eventName=DeleteSecurityGroup)}`,
	}, 0, calls("ec2", "ec2", "DescribeSecurityGroups"),
		ctCase{"ec2-create-tags-security-group.json", "ec2:CreateTags on a security group"}),
	// Network ACL changes (CIS 4.11 / 5.11, CloudWatch.11). Negatives: DescribeNetworkAcls,
	// CreateTags on a network ACL, and the other network families' changes.
	networkSpec(CISControl{
		Key:        "nacl-changes",
		Summary:    "network ACL changes",
		RefPattern: `{($.eventName=CreateNetworkAcl) || ($.eventName=CreateNetworkAclEntry) || ($.eventName=DeleteNetworkAcl) || ($.eventName=DeleteNetworkAclEntry) || ($.eventName=ReplaceNetworkAclEntry) || ($.eventName=ReplaceNetworkAclAssociation)}`,
	}, 1, calls("ec2", "ec2", "DescribeNetworkAcls"),
		ctCase{"ec2-create-tags-network-acl.json", "ec2:CreateTags on a network ACL"}),
	// Network gateway changes (CIS 4.12 / 5.12, CloudWatch.12): customer and internet
	// gateways. Negatives: DescribeInternetGateways, CreateTags on an internet gateway, and the
	// other network families' changes. In neither set: NAT, VPN, egress-only and transit
	// gateways (CreateNatGateway is in the corpus), which the reference leaves out and a better
	// pattern may add.
	networkSpec(CISControl{
		Key:        "network-gateway-changes",
		Summary:    "network gateway changes",
		RefPattern: `{($.eventName=CreateCustomerGateway) || ($.eventName=DeleteCustomerGateway) || ($.eventName=AttachInternetGateway) || ($.eventName=CreateInternetGateway) || ($.eventName=DeleteInternetGateway) || ($.eventName=DetachInternetGateway)}`,
	}, 2, calls("ec2", "ec2", "DescribeInternetGateways"),
		ctCase{"ec2-create-tags-internet-gateway.json", "ec2:CreateTags on an internet gateway"}),
	// Route table changes (CIS 4.13 / 5.13, CloudWatch.13). Negatives: DescribeRouteTables,
	// CreateTags on a route table, and the other network families' changes. In neither set:
	// AssociateRouteTable, which the reference leaves out (it has DisassociateRouteTable) and a
	// better pattern adds; and API Gateway's CreateRoute / DeleteRoute (eventSource
	// apigateway.amazonaws.com), which the reference — no eventSource clause — matches and an
	// ec2-restricted pattern does not. (CIS v3.0+ prefixes `($.eventSource = ec2.amazonaws.com)
	// &&` without parentheses; && binds tighter, so that text restricts CreateRoute only.)
	networkSpec(CISControl{
		Key:        "route-table-changes",
		Summary:    "route table changes",
		RefPattern: `{($.eventName=CreateRoute) || ($.eventName=CreateRouteTable) || ($.eventName=ReplaceRoute) || ($.eventName=ReplaceRouteTableAssociation) || ($.eventName=DeleteRouteTable) || ($.eventName=DeleteRoute) || ($.eventName=DisassociateRouteTable)}`,
	}, 3, calls("ec2", "ec2", "DescribeRouteTables"),
		ctCase{"ec2-create-tags-route-table.json", "ec2:CreateTags on a route table"}),
	// VPC changes (CIS 4.14 / 5.14, CloudWatch.14). The four ClassicLink records predate the
	// retirement of EC2-Classic (15 August 2023); the reference still lists them. Negatives:
	// DescribeVpcs, DescribeVpcAttribute, DescribeVpcPeeringConnections (caught by *Vpc*),
	// CreateTags on a VPC, and the other network families' changes.
	networkSpec(CISControl{
		Key:        "vpc-changes",
		Summary:    "VPC changes",
		RefPattern: `{($.eventName=CreateVpc) || ($.eventName=DeleteVpc) || ($.eventName=ModifyVpcAttribute) || ($.eventName=AcceptVpcPeeringConnection) || ($.eventName=CreateVpcPeeringConnection) || ($.eventName=DeleteVpcPeeringConnection) || ($.eventName=RejectVpcPeeringConnection) || ($.eventName=AttachClassicLinkVpc) || ($.eventName=DetachClassicLinkVpc) || ($.eventName=DisableVpcClassicLink) || ($.eventName=EnableVpcClassicLink)}`,
	}, 4, calls("ec2", "ec2", "DescribeVpcs", "DescribeVpcAttribute", "DescribeVpcPeeringConnections"),
		ctCase{"ec2-create-tags-vpc.json", "ec2:CreateTags on a VPC"}),
	// AWS Organizations changes (CIS 4.15 / 5.15; no Security Hub control, so the reference is
	// the CIS text). Negatives: reads (DescribeOrganization, ListAccounts, DescribePolicy) and
	// TagResource, which `$.eventSource = organizations.amazonaws.com` catches, and IAM's
	// CreatePolicy / DeletePolicy, which a pattern without the eventSource clause catches.
	{
		CISControl: CISControl{
			Key:        "organizations-changes",
			Summary:    "AWS Organizations changes",
			RefPattern: `{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }`,
			Delivery:   DeliveryUSEast1,
		},
		eventSource: "organizations.amazonaws.com",
		positives: calls("organizations", "organizations", "AcceptHandshake", "AttachPolicy", "CreateAccount",
			"CreateOrganizationalUnit", "CreatePolicy", "DeclineHandshake", "DeleteOrganization", "DeleteOrganizationalUnit",
			"DeletePolicy", "DetachPolicy", "DisablePolicyType", "EnablePolicyType", "InviteAccountToOrganization",
			"LeaveOrganization", "MoveAccount", "RemoveAccountFromOrganization", "UpdatePolicy", "UpdateOrganizationalUnit"),
		negatives: joinCases(calls("organizations", "organizations", "DescribeOrganization", "ListAccounts", "DescribePolicy", "TagResource"),
			calls("iam", "iam", "CreatePolicy", "DeletePolicy")),
	},
})

// CISControls returns the thirteen controls, in the order of the CIS benchmark.
func CISControls() []CISControl {
	out := make([]CISControl, len(cisSpecs))
	for i, s := range cisSpecs {
		out[i] = s.CISControl
	}
	return out
}

func cisSpecFor(key string) cisSpec {
	for _, s := range cisSpecs {
		if s.Key == key {
			return s
		}
	}
	// Keys are constants of the calling code (taken from CISControls), so an unknown one is a
	// programming error, like a missing corpus file.
	panic(fmt.Sprintf("detection: unknown CIS control %q", key))
}

// CISFilter returns the control's detection for metric filter patterns: its CloudTrail records
// as CloudWatch Logs log events. It panics on a key CISControls does not list.
//
// The detection depends on the key alone, so it is built once: every call returns the same
// events (each parsed once, on first use, for every pattern and caller) in lists of its own.
func CISFilter(key string) Detection {
	s := cisSpecFor(key)
	e, _ := cisFilters.LoadOrStore(key, &cisFilterOnce{})
	f := e.(*cisFilterOnce)
	f.once.Do(func() {
		f.d = Detection{ID: s.Key, Summary: s.Summary, Language: FilterPattern}
		for _, c := range s.positives {
			f.d.Positives = append(f.d.Positives, record(c.file, c.name))
		}
		for _, c := range s.negatives {
			f.d.Negatives = append(f.d.Negatives, record(c.file, c.name))
		}
	})
	d := f.d
	d.Positives = append([]Event(nil), f.d.Positives...)
	d.Negatives = append([]Event(nil), f.d.Negatives...)
	return d
}

var cisFilters sync.Map // control key -> *cisFilterOnce

type cisFilterOnce struct {
	once sync.Once
	d    Detection
}

// EventBridge detail-types of CloudTrail events on the default bus.
const (
	detailTypeAPICall      = "AWS API Call via CloudTrail"
	detailTypeSignIn       = "AWS Console Sign In via CloudTrail"
	detailTypeSignInOld    = "AWS Console Signin via CloudTrail"
	detailTypeServiceEvent = "AWS Service Event via CloudTrail"
)

// CISEvent returns the control's detection for EventBridge event patterns: the same CloudTrail
// records as EventBridge delivers them to the default bus in region, for account (the records'
// awsRegion, account ids and ARNs rewritten to match; "" means us-east-1 and the example
// account). It adds one negative: a custom event (source "custom.app") carrying the
// detail-type and detail of the first positive, which anyone with events:PutEvents can send, so
// a rule without a "source" clause lets them trigger its targets.
//
// Sign-in positives are AnyOf groups of the two detail-type spellings ("AWS Console Sign In
// via CloudTrail", which AWS sends, and "AWS Console Signin via CloudTrail", found in many
// rules), as for RootConsoleSignin. The region is stamped as given: whether the control's
// events reach that region at all is CISControl.Delivery's answer, for the caller to apply.
// It panics on a key CISControls does not list.
func CISEvent(key, region, account string) Detection {
	s := cisSpecFor(key)
	if region == "" {
		region = "us-east-1"
	}
	account = orDefaultAccount(account)
	summary := fmt.Sprintf("%s in %s", s.Summary, region)
	if set := cisSetFor(s); set.fast && stampable.MatchString(region) && stampable.MatchString(account) {
		// The events prepared once, stamped without parsing (cis_stamp.go).
		return set.build(summary, region, account, set, false)
	}
	return cisEventParsed(s, summary, region, account)
}

// CISEventLazy is CISEvent whose events' Body is nil, written only when Event.Bytes asks for
// it: a check that judges every control in every region of every account matches most
// events without their text (Decoded, Lookup) and needs the text of a few (a rule's
// messages), so it does not write 46 KB per control and region. Read the text with Bytes.
func CISEventLazy(key, region, account string) Detection {
	s := cisSpecFor(key)
	if region == "" {
		region = "us-east-1"
	}
	account = orDefaultAccount(account)
	summary := fmt.Sprintf("%s in %s", s.Summary, region)
	if set := cisSetFor(s); set.fast && stampable.MatchString(region) && stampable.MatchString(account) {
		return set.build(summary, region, account, set, true)
	}
	return cisEventParsed(s, summary, region, account)
}

// cisEventParsed builds CISEvent's detection by stamping each record and wrapping it, to be
// parsed when matched: the way for stamps cis_stamp.go cannot take.
func cisEventParsed(s cisSpec, summary, region, account string) Detection {
	d := Detection{ID: s.Key, Summary: summary, Language: EventPattern}
	var custom Event
	for i, c := range s.positives {
		detail, h := stampRecord(file("cloudtrail/"+c.file), region, account)
		dt := detailTypeFor(h)
		if i == 0 {
			custom = newEvent(fmt.Sprintf("custom event (source custom.app) carrying the %s detail", c.name),
				envelopeFor(detail, h, "custom.app", dt))
		}
		ev := newEvent(c.name, envelopeFor(detail, h, sourceFor(h), dt))
		if dt != detailTypeSignIn {
			d.Positives = append(d.Positives, ev)
			continue
		}
		ev.Name = fmt.Sprintf("%s (detail-type %q)", c.name, detailTypeSignIn)
		d.AnyOf = append(d.AnyOf, []Event{ev, newEvent(fmt.Sprintf("%s (detail-type %q)", c.name, detailTypeSignInOld),
			envelopeFor(detail, h, sourceFor(h), detailTypeSignInOld))})
	}
	for _, c := range s.negatives {
		detail, h := stampRecord(file("cloudtrail/"+c.file), region, account)
		d.Negatives = append(d.Negatives, newEvent(c.name, envelopeFor(detail, h, sourceFor(h), detailTypeFor(h))))
	}
	d.Negatives = append(d.Negatives, custom)
	return d
}

// ctHeader is what the envelope needs from a CloudTrail record.
type ctHeader struct {
	EventSource        string `json:"eventSource"`
	EventTime          string `json:"eventTime"`
	EventID            string `json:"eventID"`
	EventType          string `json:"eventType"`
	AWSRegion          string `json:"awsRegion"`
	RecipientAccountID string `json:"recipientAccountId"`
}

func ctHeaderOf(rec []byte) ctHeader {
	var h ctHeader
	if err := json.Unmarshal(rec, &h); err != nil {
		panic(fmt.Sprintf("detection: corpus record is not JSON: %v", err))
	}
	return h
}

// stampRecord rewrites a corpus record as if it had happened in region and account: every
// occurrence of the record's own region (awsRegion, ARNs, endpoints) and of its own account
// (recipientAccountId, userIdentity, ARNs, names that embed it) is replaced. Other accounts
// a record mentions (a peer, a partner) stay. It returns the stamped record's header too.
func stampRecord(rec []byte, region, account string) ([]byte, ctHeader) {
	h := ctHeaderOf(rec)
	s := string(rec)
	changed := false
	if account != h.RecipientAccountID {
		s = strings.ReplaceAll(s, h.RecipientAccountID, jsonInner(account))
		changed = true
	}
	if region != h.AWSRegion {
		s = strings.ReplaceAll(s, h.AWSRegion, jsonInner(region))
		changed = true
	}
	if !changed {
		return rec, h
	}
	return []byte(s), ctHeaderOf([]byte(s))
}

// jsonInner escapes s for use inside a JSON string.
func jsonInner(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// detailTypeFor is the detail-type EventBridge gives a CloudTrail record.
func detailTypeFor(h ctHeader) string {
	switch h.EventType {
	case "AwsConsoleSignIn":
		return detailTypeSignIn
	case "AwsServiceEvent":
		return detailTypeServiceEvent
	}
	return detailTypeAPICall
}

// sourceFor is the EventBridge source of a CloudTrail record: "aws." and the service part of
// the eventSource ("iam.amazonaws.com" -> "aws.iam", "signin.amazonaws.com" -> "aws.signin").
func sourceFor(h ctHeader) string {
	return "aws." + strings.TrimSuffix(h.EventSource, ".amazonaws.com")
}

// envelopeID derives the envelope id from the record's eventID, so that envelopes are
// reproducible.
func envelopeID(h ctHeader, source, detailType string) string {
	sum := sha1.Sum([]byte(source + "\x00" + detailType + "\x00" + h.EventID))
	return fmt.Sprintf("%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])
}

// envelopeFor wraps a CloudTrail record (whose header is h) as EventBridge delivers it:
// version "0", an id, the detail-type and source, the record's account, eventTime and region,
// no resources, and the record as detail.
func envelopeFor(rec []byte, h ctHeader, source, detailType string) []byte {
	var b bytes.Buffer
	b.Grow(len(rec) + 320)
	field := func(name, value string) {
		v, _ := json.Marshal(value)
		b.WriteString(`"` + name + `":`)
		b.Write(v)
		b.WriteByte(',')
	}
	b.WriteByte('{')
	field("version", "0")
	field("id", envelopeID(h, source, detailType))
	field("detail-type", detailType)
	field("source", source)
	field("account", h.RecipientAccountID)
	field("time", h.EventTime)
	field("region", h.AWSRegion)
	b.WriteString(`"resources":[],"detail":`)
	b.Write(bytes.TrimSpace(rec))
	b.WriteByte('}')
	return b.Bytes()
}
