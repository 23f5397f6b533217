package iampolicy

import "strings"

// serviceAbsentKeys are the global condition keys a service principal's direct call never
// carries. Each is kept because the "Availability" text of the IAM User Guide page "AWS global
// condition context keys" makes it conditional on something a service principal does not have:
//
//   - aws:PrincipalOrgID, aws:PrincipalOrgPaths: "included in the request context only if the
//     principal is a member of an organization"; the page adds that a bucket policy requiring
//     aws:PrincipalOrgID also shuts out "AWS services ... such as AWS CloudTrail".
//   - aws:PrincipalTag/*: included when the principal is an IAM user or role with tags.
//   - aws:username: "always included in the request context for IAM users"; root, roles and
//     anonymous callers do not carry it, and a service principal is not an IAM user.
//   - aws:MultiFactorAuthPresent, aws:MultiFactorAuthAge, aws:TokenIssueTime,
//     aws:SourceIdentity, aws:FederatedProvider: the page's "Properties of a role session"
//     keys, "only available when a request is made by a principal with role session or
//     federated user principal credentials".
//   - aws:SourceVpc, aws:SourceVpce, aws:VpcSourceIp: "included in the request context only
//     if the requester uses a VPC endpoint"; for service-to-service calls the page adds that
//     "network-specific authorization context is redacted".
//
// Deliberately left out, so that a condition on them evaluates to Unknown rather than to a
// guess: aws:PrincipalAccount and aws:userid ("included in the request context for all
// requests, including anonymous requests"), aws:PrincipalArn ("included in the request context
// for all signed requests"; the page lists only IAM and root ARNs as its values and does not say
// what a service principal carries), and aws:SourceIp ("included in the request context, except
// when the requester uses a VPC endpoint"; for service-to-service calls the page says the
// network context is "redacted", which is not the same as absent).
var serviceAbsentKeys = []string{
	"aws:PrincipalOrgID",
	"aws:PrincipalOrgPaths",
	"aws:PrincipalTag/*",
	"aws:username",
	"aws:MultiFactorAuthPresent",
	"aws:MultiFactorAuthAge",
	"aws:TokenIssueTime",
	"aws:SourceIdentity",
	"aws:FederatedProvider",
	"aws:SourceVpc",
	"aws:SourceVpce",
	"aws:VpcSourceIp",
}

// ServiceRequest builds the request an AWS service principal (service, e.g.
// "cloudwatch.amazonaws.com") makes when it delivers on a customer's behalf: action on
// resource, triggered by the customer's resource sourceARN in account sourceAccount.
//
// Context carries aws:SourceArn and aws:SourceAccount (each only when non-empty: pass "" when the
// service does not send it or it is not known, and conditions on it come out Unknown),
// aws:SecureTransport "true", aws:PrincipalServiceName = service and aws:PrincipalIsAWSService
// "true". For sns:Publish by CloudWatch it also carries AWS:SourceOwner = sourceAccount, the
// legacy SNS key that the default topic policy tests ("Principal": {"AWS": "*"} with
// StringEquals AWS:SourceOwner), which is how an account's alarms get through it; for any other
// service that key is absent. Absent lists the
// principal keys a service principal never carries; see serviceAbsentKeys.
func ServiceRequest(service, action, resource, sourceARN, sourceAccount string) Request {
	ctx := map[string][]string{
		"aws:SecureTransport":       {"true"},
		"aws:PrincipalServiceName":  {service},
		"aws:PrincipalIsAWSService": {"true"},
	}
	if sourceARN != "" {
		ctx["aws:SourceArn"] = []string{sourceARN}
	}
	absent := append([]string(nil), serviceAbsentKeys...)
	if sourceAccount != "" {
		ctx["aws:SourceAccount"] = []string{sourceAccount}
	}
	if strings.EqualFold(action, "sns:Publish") {
		// AWS:SourceOwner is the legacy SNS key of the default topic policy. CloudWatch alarms
		// carry it (the default policy lets an account's alarms publish: CloudWatch user guide,
		// "Amazon SNS topic policies for CloudWatch alarms"); other services do not get through
		// the default policy and need a statement for their service principal (EventBridge
		// user guide, "Using resource-based policies for Amazon EventBridge", Amazon SNS; AWS
		// Knowledge Center, "Why isn't my Amazon SNS topic receiving EventBridge
		// notifications?"), so for them the key is absent.
		switch {
		case !strings.EqualFold(service, "cloudwatch.amazonaws.com"):
			absent = append(absent, "AWS:SourceOwner")
		case sourceAccount != "":
			ctx["AWS:SourceOwner"] = []string{sourceAccount}
		}
	}
	return Request{
		Principal: Principal{Service: service},
		Action:    action,
		Resource:  resource,
		Context:   ctx,
		Absent:    absent,
	}
}
