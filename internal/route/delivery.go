package route

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/lookout-audit/lookout/internal/awsarn"
	"github.com/lookout-audit/lookout/internal/detection"
	"github.com/lookout-audit/lookout/internal/iampolicy"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// Delivery is judged hop by hop, as AWS decides it, with the principal that really makes each
// call: CloudWatch (cloudwatch.amazonaws.com) publishes an alarm's notification, EventBridge
// (events.amazonaws.com) delivers a rule's event, SNS (sns.amazonaws.com) delivers to SQS and
// Lambda subscribers. Each hop needs the receiving resource's policy to let that principal in,
// and an encrypted topic or queue needs its KMS key policy to let the same principal use the
// key. Existence alone is never delivery. The facts and their AWS documents:
//   - CloudWatch user guide, "Amazon SNS topic policies for CloudWatch alarms";
//   - EventBridge user guide, "Using resource-based policies for Amazon EventBridge";
//   - SNS developer guide, "Key management" and "Enable compatibility between event sources
//     from AWS services and encrypted topics" (the AWS managed key alias/aws/sns cannot be
//     used by them), "Amazon SNS message filtering", "Fanout to Amazon SQS queues".

// DeliveryVerifies is what every check ending in a notification or a remediation adds to its
// "Verifies" text: the hops judged here.
const DeliveryVerifies = " Delivery is judged as AWS decides it, with the principal that makes each call: the SNS topic's access " +
	"policy (evaluated, Deny first, conditions on aws:SourceArn/aws:SourceAccount/AWS:SourceOwner) must let CloudWatch or " +
	"EventBridge publish; a topic or queue encrypted with alias/aws/sns or alias/aws/sqs receives nothing from them, and a " +
	"customer managed key's policy must allow them kms:GenerateDataKey and kms:Decrypt; a subscriber counts only if its " +
	"filter policy lets the notification through (alarm and EventBridge messages carry no attributes) and an SQS or Lambda " +
	"subscriber lets the topic in; a Lambda target's policy must let the rule invoke it; a role target must trust " +
	"EventBridge; a target bus is followed to its rules. A policy statement lookout cannot evaluate is ERROR."

// Service principals that deliver.
const (
	principalCloudWatch  = "cloudwatch.amazonaws.com"
	principalEventBridge = "events.amazonaws.com"
	principalSNS         = "sns.amazonaws.com"
)

// DeliveryHop names the hop of a delivery that does not hold, as data (evidence and
// messages are rendered from it).
type DeliveryHop string

const (
	HopTarget        DeliveryHop = "target"            // the topic, function, queue or bus does not exist
	HopTopicPolicy   DeliveryHop = "topic policy"      // the topic's access policy refuses the publisher
	HopKMSKey        DeliveryHop = "KMS key"           // the key encrypting a topic or queue refuses the publisher
	HopSubscription  DeliveryHop = "subscription"      // no confirmed subscriber
	HopFilterPolicy  DeliveryHop = "filter policy"     // the subscription's filter policy drops the message
	HopQueuePolicy   DeliveryHop = "queue policy"      // the subscriber or target queue refuses the sender
	HopFunction      DeliveryHop = "function policy"   // the function's resource policy refuses the invoker
	HopRoleTrust     DeliveryHop = "role trust"        // the target's role does not exist or does not trust EventBridge
	HopRolePolicy    DeliveryHop = "role policy"       // the target's role may not make the call
	HopBusPolicy     DeliveryHop = "event bus policy"  // the receiving bus refuses the sending account
	HopForwardedRule DeliveryHop = "forwarded rule"    // no rule on the receiving bus acts on the event
	HopActionHistory DeliveryHop = "CloudWatch action" // CloudWatch's last attempt to run the action failed
	HopKind          DeliveryHop = "target kind"       // the target cannot do what the control needs
	// AWS's own record (CloudWatch metrics) says the latest attempt failed.
	HopEventsRecord DeliveryHop = "AWS/Events record" // the rule's latest invocations failed
	HopLambdaRecord DeliveryHop = "AWS/Lambda record" // the function's latest run failed or was throttled
	HopSNSRecord    DeliveryHop = "AWS/SNS record"    // the topic's latest deliveries to subscribers failed
)

// sender is who delivers, on whose behalf, and what it sends.
type sender struct {
	// service is the service principal making the call (cloudwatch or events).
	service string
	// source is the alarm or rule ARN (aws:SourceArn), account its account (aws:SourceAccount).
	source, account string
	// what names the source in messages ("alarm X", "rule Y").
	what string
	// messages are the bodies delivered: the alarm notification, or each event the rule
	// matches. A MessageBody filter policy must let every one through.
	messages [][]byte
	// forward follows an event-bus target (nil for alarms, which cannot target a bus).
	forward *forwarding
	// bodyUnknown is set when the target rewrites what it sends (Input, InputPath,
	// InputTransformer): a MessageBody filter policy cannot then be judged.
	bodyUnknown bool
	// viaRole is the target's RoleArn: EventBridge then calls as that role, not as its
	// service principal, so the role's permissions decide (EventBridge user guide, "Using IAM
	// roles to invoke targets").
	viaRole string
}

// forwarding carries what following an event-bus hop needs: the detection the forwarded event
// is judged against, which targets count, and the buses already visited (a cycle delivers
// nothing new).
type forwarding struct {
	d       detection.Detection
	policy  TargetPolicy
	visited map[string]bool
}

// ruleSender is the sender of a rule's deliveries: EventBridge, on behalf of the rule, with
// the detection's events that the rule's pattern matches as the messages.
func ruleSender(rule snapshot.Rule, region, account string, d detection.Detection, policy TargetPolicy, visited map[string]bool) sender {
	source := rule.ARN
	if a, ok := awsarn.Parse(source); ok {
		account = a.Account
	}
	var messages [][]byte
	if p, err := detection.ParseEventPattern(rule.EventPattern); err == nil {
		events := append([]detection.Event{}, d.Positives...)
		for _, g := range d.AnyOf {
			events = append(events, g...)
		}
		for _, e := range events {
			if ev, err := e.Decoded(); err == nil && p.MatchEvent(ev) {
				messages = append(messages, e.Bytes())
			}
		}
	}
	if visited == nil {
		visited = map[string]bool{}
	}
	return sender{service: principalEventBridge, source: source, account: account, what: "rule " + rule.Name,
		messages: messages, forward: &forwarding{d: d, policy: policy, visited: visited}}
}

// policyVerdict evaluates a resource policy for one request. absentMeans is the verdict when
// the resource has no policy at all (most resources then refuse every service principal).
func policyVerdict(doc, owner string, req iampolicy.Request, hop DeliveryHop) (Verdict, string, DeliveryHop) {
	if doc == "" {
		return Fail, fmt.Sprintf("%s has no resource-based policy, so %s may not call %s on it", owner, who(req), req.Action), hop
	}
	p, err := iampolicy.Parse(doc)
	if err != nil {
		// AWS accepted this policy, so a document lookout cannot read is lookout's blind spot.
		return Error, fmt.Sprintf("the policy of %s could not be evaluated: %v", owner, err), hop
	}
	res := p.Evaluate(req)
	switch res.Decision {
	case iampolicy.Allow:
		return Pass, "", ""
	case iampolicy.ExplicitDeny:
		return Fail, fmt.Sprintf("the policy of %s denies %s %s: %s", owner, who(req), req.Action, res.Reason), hop
	case iampolicy.Unknown:
		return Error, fmt.Sprintf("the policy of %s could not be evaluated for %s %s: %s", owner, who(req), req.Action, res.Reason), hop
	}
	return Fail, fmt.Sprintf("the policy of %s does not allow %s to call %s%s", owner, who(req), req.Action, conditionHint(req)), hop
}

func who(req iampolicy.Request) string {
	if req.Principal.Service != "" {
		return req.Principal.Service
	}
	return "account " + req.Principal.Account
}

// conditionHint names the source the request carried, since most refusals come from a
// condition on aws:SourceArn or aws:SourceAccount that names something else.
func conditionHint(req iampolicy.Request) string {
	if src := req.Context["aws:SourceArn"]; len(src) > 0 {
		return " for " + src[0]
	}
	return ""
}

// servicePolicy is policyVerdict for a service principal's call.
func servicePolicy(doc, owner, service, action, resource, sourceARN, sourceAccount string, hop DeliveryHop) (Verdict, string, DeliveryHop) {
	return policyVerdict(doc, owner, iampolicy.ServiceRequest(service, action, resource, sourceARN, sourceAccount), hop)
}

// awsManagedKeyAlias reports whether ref names the AWS managed key of a service (alias/aws/sns,
// alias/aws/sqs, as a name or an alias ARN). Its key policy lets only principals of the account
// use it through that service, and cannot be changed: another AWS service cannot publish to a
// topic (or send to a queue) encrypted with it.
func awsManagedKeyAlias(ref string) (string, bool) {
	i := strings.LastIndex(ref, "alias/aws/")
	if i < 0 {
		return "", false
	}
	return ref[i:], true
}

// judgeKey decides whether service may use the KMS key ref that encrypts owner (a topic or a
// queue in region of account): kms:GenerateDataKey to encrypt and kms:Decrypt, as the SNS
// guide requires of a customer managed key.
func judgeKey(s *snapshot.Snapshot, account, region, ref, owner, service, sourceARN, sourceAccount string) (Verdict, string) {
	if alias, ok := awsManagedKeyAlias(ref); ok {
		return Fail, fmt.Sprintf("%s is encrypted with the AWS managed key %s, whose key policy cannot let %s use it: nothing from %s arrives",
			owner, alias, service, service)
	}
	keyAccount, keyRegion := account, region
	if a, ok := awsarn.Parse(ref); ok {
		keyAccount, keyRegion = a.Account, a.Region
	}
	r, where := s.FindRegion(keyAccount, keyRegion)
	if r == nil {
		return Error, fmt.Sprintf("the KMS key %s of %s cannot be verified: %s", ref, owner, where)
	}
	if r.KMS == nil {
		return Error, fmt.Sprintf("the KMS key %s of %s cannot be verified: KMS keys were not collected in %s", ref, owner, keyRegion)
	}
	var key *snapshot.KMSKey
	for i := range r.KMS.Keys {
		if r.KMS.Keys[i].Ref == ref {
			key = &r.KMS.Keys[i]
			break
		}
	}
	switch {
	case key == nil:
		return Error, fmt.Sprintf("the KMS key %s of %s cannot be verified: it was not collected", ref, owner)
	case key.Error != nil:
		return Error, fmt.Sprintf("the KMS key %s of %s cannot be verified: %s", ref, owner, key.Error.Error())
	case key.NotFound:
		return Fail, fmt.Sprintf("%s is encrypted with KMS key %s, which does not exist: nothing can be encrypted for it", owner, ref)
	case key.KeyManager == "AWS":
		return Fail, fmt.Sprintf("%s is encrypted with an AWS managed key (%s), whose key policy cannot let %s use it", owner, ref, service)
	case key.KeyState != "" && key.KeyState != "Enabled":
		return Fail, fmt.Sprintf("%s is encrypted with KMS key %s, which is %s: nothing can be encrypted for it", owner, ref, key.KeyState)
	}
	if key.Policy == "" {
		return Error, fmt.Sprintf("the policy of KMS key %s of %s was not collected", ref, owner)
	}
	resource := key.ARN
	if resource == "" {
		resource = ref
	}
	for _, action := range []string{"kms:GenerateDataKey", "kms:Decrypt"} {
		if st, why, _ := servicePolicy(key.Policy, "KMS key "+ref, service, action, resource, sourceARN, sourceAccount, HopKMSKey); st != Pass {
			return st, fmt.Sprintf("%s is encrypted with KMS key %s, and %s", owner, ref, why)
		}
	}
	return Pass, ""
}

// judgeTopicDelivery judges an SNS topic as the destination of snd: it exists in its own
// account and region, its access policy lets snd's service publish, its KMS key (if any) lets
// that service use it, and at least one subscriber receives what snd publishes.
func judgeTopicDelivery(s *snapshot.Snapshot, t string, snd sender) TargetVerdict {
	v := TargetVerdict{ARN: t, Kind: "sns"}
	a, ok := awsarn.Parse(t)
	if !ok || a.Service != "sns" {
		v.State, v.Reason, v.Hop = Fail, fmt.Sprintf("%q is not an SNS topic ARN", t), HopTarget
		return v
	}
	name := a.Resource
	r, where := s.FindRegion(a.Account, a.Region)
	switch {
	case r == nil:
		v.State, v.Reason = Error, fmt.Sprintf("SNS topic %s cannot be verified: %s", name, where)
		return v
	case r.SNS == nil:
		v.State, v.Reason = Error, fmt.Sprintf("SNS topic %s cannot be verified: SNS topics were not collected in %s", name, a.Region)
		return v
	case r.SNS.Error != nil:
		v.State, v.Reason = Error, fmt.Sprintf("SNS topic %s cannot be verified: %s", name, r.SNS.Error.Error())
		return v
	}
	var topic *snapshot.Topic
	for i := range r.SNS.Topics {
		if r.SNS.Topics[i].ARN == t {
			topic = &r.SNS.Topics[i]
			break
		}
	}
	if topic == nil {
		v.State, v.Reason, v.Hop, v.absent = Fail, fmt.Sprintf("SNS topic %s does not exist in account %s, %s", name, a.Account, a.Region), HopTarget, true
		return v
	}
	owner := "SNS topic " + name
	switch {
	case topic.AttrsError != nil:
		v.State, v.Reason = Error, fmt.Sprintf("%s cannot be verified: %s", owner, topic.AttrsError.Error())
		return v
	case topic.Policy == "":
		// GetTopicAttributes always returns a policy (the default one at least).
		v.State, v.Reason = Error, fmt.Sprintf("the access policy of %s was not collected", owner)
		return v
	}
	if snd.viaRole != "" {
		// Publishing as the target's role: the role's permissions decide (the topic policy
		// could still deny the role, which lookout does not evaluate for role principals).
		if st, why, hop := judgeRole(s, snd.viaRole, snd.source, snd.account, "sns:Publish", t); st != Pass {
			v.State, v.Reason, v.Hop = st, why, hop
			return v
		}
		if topic.KMSKeyID != "" {
			v.State, v.Reason = Error, fmt.Sprintf("%s is encrypted with KMS key %s and EventBridge publishes through role %s: the role's use of the key is not evaluated", owner, topic.KMSKeyID, snd.viaRole)
			return v
		}
	} else if st, why, hop := servicePolicy(topic.Policy, owner, snd.service, "sns:Publish", t, snd.source, snd.account, HopTopicPolicy); st != Pass {
		v.State, v.Reason, v.Hop = st, why, hop
		return v
	}
	if topic.KMSKeyID != "" && snd.viaRole == "" {
		if st, why := judgeKey(s, a.Account, a.Region, topic.KMSKeyID, owner, snd.service, snd.source, snd.account); st != Pass {
			v.State, v.Reason, v.Hop = st, why, HopKMSKey
			return v
		}
	}
	if topic.SubscriptionsError != nil {
		v.State, v.Reason = Error, fmt.Sprintf("subscribers of %s cannot be verified: %s", owner, topic.SubscriptionsError.Error())
		return v
	}
	var delivered, unknown, broken []string
	var hops []DeliveryHop
	pending := 0
	for _, sub := range topic.Subscriptions {
		if !sub.Confirmed {
			pending++
			continue
		}
		st, why, hop := judgeSubscriber(s, t, a.Account, sub, snd)
		switch st {
		case Pass:
			delivered = append(delivered, sub.Protocol)
		case Error:
			unknown = append(unknown, why)
		default:
			broken, hops = append(broken, why), append(hops, hop)
		}
	}
	switch {
	case len(delivered) > 0:
		sort.Strings(delivered)
		// Only subscribers that really receive snd's message are counted.
		v.State, v.Reason = Pass, fmt.Sprintf("SNS topic %s (%d confirmed subscription(s): %s)", name, len(delivered), strings.Join(delivered, ", "))
		// NumberOfNotificationsFailed counts deliveries to subscribers: what fails is there.
		v = withRecord(v, observeTopic(s, t), HopSNSRecord)
		v.atSubscriber = v.State != Pass
	case len(unknown) > 0:
		v.State, v.Reason, v.atSubscriber = Error, fmt.Sprintf("no subscriber of %s is known to receive the message: %s", owner, strings.Join(append(unknown, broken...), "; ")), true
	case len(broken) > 0:
		v.atSubscriber = true
		v.State, v.Reason, v.Hop = Fail, fmt.Sprintf("no subscriber of %s receives %s's message: %s", owner, snd.what, strings.Join(broken, "; ")), subscriberHop(hops)
		if pending > 0 {
			v.Reason += fmt.Sprintf(" (and %d PendingConfirmation)", pending)
		}
	default:
		v.State, v.Hop, v.atSubscriber = Fail, HopSubscription, true
		v.Reason = fmt.Sprintf("SNS topic %s has no confirmed subscription", name)
		if pending > 0 {
			v.Reason += fmt.Sprintf(" (%d PendingConfirmation: nobody receives the message)", pending)
		} else {
			v.Reason += " (no subscribers at all)"
		}
	}
	return v
}

// subscriberHop names the hop for a topic none of whose subscribers receive: the one hop that
// stopped every one of them, else the subscription as a whole.
func subscriberHop(hops []DeliveryHop) DeliveryHop {
	for _, h := range hops[1:] {
		if h != hops[0] {
			return HopSubscription
		}
	}
	return hops[0]
}

// judgeSubscriber decides whether a confirmed subscription of topic receives snd's messages:
// its filter policy lets them through, and an SQS or Lambda subscriber lets SNS in.
func judgeSubscriber(s *snapshot.Snapshot, topic, topicAccount string, sub snapshot.Subscription, snd sender) (Verdict, string, DeliveryHop) {
	label := sub.Protocol + " subscription"
	switch {
	case sub.AttrsError != nil:
		return Error, fmt.Sprintf("the filter policy of %s %s cannot be verified: %s", label, sub.ARN, sub.AttrsError.Error()), ""
	case !sub.AttrsRead:
		return Error, fmt.Sprintf("the attributes (filter policy) of %s %s were not collected", label, sub.ARN), ""
	}
	if sub.FilterPolicy != "" {
		if st, why := judgeFilterPolicy(sub, snd); st != Pass {
			return st, label + " " + why, HopFilterPolicy
		}
	}
	switch sub.Protocol {
	case "sqs":
		st, why, hop := judgeQueueSubscriber(s, topic, topicAccount, sub)
		return st, why, hop
	case "lambda":
		st, why, absent := judgeFunction(s, sub.EndpointARN, principalSNS, topic, topicAccount)
		switch {
		case st == Pass:
		case absent:
			return st, label + ": " + why, HopTarget
		default:
			return st, label + ": " + why, HopFunction
		}
	}
	return Pass, "", ""
}

// judgeFilterPolicy evaluates a subscription filter policy against what snd publishes. With
// the default scope (MessageAttributes) it sees the message attributes, and CloudWatch alarm
// and EventBridge notifications carry none; with MessageBody it sees the JSON body.
func judgeFilterPolicy(sub snapshot.Subscription, snd sender) (Verdict, string) {
	p, err := detection.ParseEventPattern(sub.FilterPolicy)
	if err != nil {
		return Error, fmt.Sprintf("filter policy could not be evaluated: %v", err)
	}
	if sub.FilterPolicyScope == "MessageBody" {
		if snd.bodyUnknown {
			return Error, fmt.Sprintf("filter policy (scope MessageBody) %s cannot be judged: %s's target rewrites what it sends (Input, InputPath or InputTransformer), which lookout does not keep", sub.FilterPolicy, snd.what)
		}
		for _, m := range snd.messages {
			ok, err := p.Match(m)
			if err != nil {
				return Error, fmt.Sprintf("filter policy could not be evaluated: %v", err)
			}
			if !ok {
				return Fail, fmt.Sprintf("drops %s's message: its filter policy (scope MessageBody) %s does not match the notification body", snd.what, sub.FilterPolicy)
			}
		}
		return Pass, ""
	}
	ok, err := p.Match([]byte(`{}`))
	if err != nil {
		return Error, fmt.Sprintf("filter policy could not be evaluated: %v", err)
	}
	if !ok {
		return Fail, fmt.Sprintf("drops %s's message: its filter policy (scope MessageAttributes) %s needs message attributes, and %s notifications carry none",
			snd.what, sub.FilterPolicy, serviceName(snd.service))
	}
	return Pass, ""
}

func serviceName(principal string) string {
	switch principal {
	case principalCloudWatch:
		return "CloudWatch alarm"
	case principalEventBridge:
		return "EventBridge"
	}
	return principal
}

// judgeQueueSubscriber: the queue exists, its policy lets SNS send for this topic, and its
// KMS key (if any) lets SNS use it.
func judgeQueueSubscriber(s *snapshot.Snapshot, topic, topicAccount string, sub snapshot.Subscription) (Verdict, string, DeliveryHop) {
	qa, ok := awsarn.Parse(sub.EndpointARN)
	if !ok || qa.Service != "sqs" {
		return Error, fmt.Sprintf("sqs subscription %s: its queue ARN was not collected", sub.ARN), ""
	}
	q, st, why := findQueue(s, qa)
	if st != Pass {
		return st, "sqs subscription: " + why, HopTarget
	}
	owner := "SQS queue " + qa.Resource
	if st, why, hop := servicePolicy(q.Policy, owner, principalSNS, "sqs:SendMessage", q.ARN, topic, topicAccount, HopQueuePolicy); st != Pass {
		return st, "sqs subscription: " + why, hop
	}
	if q.KMSKeyID != "" {
		if st, why := judgeKey(s, qa.Account, qa.Region, q.KMSKeyID, owner, principalSNS, topic, topicAccount); st != Pass {
			return st, "sqs subscription: " + why, HopKMSKey
		}
	}
	return Pass, "", ""
}

// findQueue looks a queue up where it lives.
func findQueue(s *snapshot.Snapshot, qa awsarn.ARN) (*snapshot.Queue, Verdict, string) {
	name := qa.Resource
	r, where := s.FindRegion(qa.Account, qa.Region)
	switch {
	case r == nil:
		return nil, Error, fmt.Sprintf("SQS queue %s cannot be verified: %s", name, where)
	case r.SQS == nil:
		return nil, Error, fmt.Sprintf("SQS queue %s cannot be verified: SQS queues were not collected in %s", name, qa.Region)
	}
	for i := range r.SQS.Queues {
		q := &r.SQS.Queues[i]
		if q.ARN != qa.String() {
			continue
		}
		switch {
		case q.Error != nil:
			return nil, Error, fmt.Sprintf("SQS queue %s cannot be verified: %s", name, q.Error.Error())
		case q.NotFound:
			return nil, Fail, fmt.Sprintf("SQS queue %s does not exist", name)
		}
		return q, Pass, ""
	}
	return nil, Error, fmt.Sprintf("SQS queue %s cannot be verified: it was not collected", name)
}

// judgeFunction: the Lambda function exists in its own account and region and its
// resource-based policy lets service invoke it for sourceARN. A qualified ARN (alias or
// version) names the function before the qualifier, and the policy read is that qualifier's.
func judgeFunction(s *snapshot.Snapshot, target, service, sourceARN, sourceAccount string) (Verdict, string, bool) {
	a, ok := awsarn.Parse(target)
	if !ok || a.Service != "lambda" || !strings.HasPrefix(a.Resource, "function:") {
		return Fail, fmt.Sprintf("%q is not a Lambda function ARN", target), false
	}
	f, name, st, why := functionOf(s, a)
	switch {
	case st == Error:
		return st, why, false
	case f == nil:
		return Fail, why, true
	case f.PolicyError != nil:
		return Error, fmt.Sprintf("the resource-based policy of Lambda function %s cannot be verified: %s", name, f.PolicyError.Error()), false
	case !f.PolicyRead:
		return Error, fmt.Sprintf("the resource-based policy of Lambda function %s was not collected", name), false
	}
	st, why, _ = servicePolicy(f.Policy, "Lambda function "+name, service, "lambda:InvokeFunction", target, sourceARN, sourceAccount, HopFunction)
	return st, why, false
}

// functionOf finds the Lambda function a (a function ARN, qualified or not) names in its own
// account and region: nil and broken when the region's functions were read and it is not
// among them, nil and unknown when they were not read.
func functionOf(s *snapshot.Snapshot, a awsarn.ARN) (f *snapshot.Function, name string, st Verdict, why string) {
	name = strings.SplitN(strings.TrimPrefix(a.Resource, "function:"), ":", 2)[0]
	r, where := s.FindRegion(a.Account, a.Region)
	switch {
	case r == nil:
		return nil, name, Error, fmt.Sprintf("Lambda function %s cannot be verified: %s", name, where)
	case r.Lambda == nil:
		return nil, name, Error, fmt.Sprintf("Lambda function %s cannot be verified: Lambda functions were not collected in %s", name, a.Region)
	case r.Lambda.Error != nil:
		return nil, name, Error, fmt.Sprintf("Lambda function %s cannot be verified: %s", name, r.Lambda.Error.Error())
	}
	for i := range r.Lambda.Functions {
		if r.Lambda.Functions[i].Name == name {
			return &r.Lambda.Functions[i], name, Pass, ""
		}
	}
	return nil, name, Fail, fmt.Sprintf("Lambda function %s no longer exists in %s", name, a.Region)
}

// judgeRole decides whether EventBridge can act through a target's role: the role exists, its
// trust policy lets events.amazonaws.com assume it for this rule, and its permission policies
// allow action on resource (EventBridge user guide, "Using IAM roles to invoke targets"). hop
// names what does not hold when the state is broken.
func judgeRole(s *snapshot.Snapshot, roleARN, ruleARN, ruleAccount, action, resource string) (Verdict, string, DeliveryHop) {
	st, why, hop := judgeRoleLinks(s, roleARN, ruleARN, ruleAccount, action, resource)
	if st != Fail {
		hop = ""
	}
	return st, why, hop
}

func judgeRoleLinks(s *snapshot.Snapshot, roleARN, ruleARN, ruleAccount, action, resource string) (Verdict, string, DeliveryHop) {
	ra, ok := awsarn.Parse(roleARN)
	if !ok || ra.Service != "iam" {
		return Fail, fmt.Sprintf("target role %q is not an IAM role ARN", roleARN), HopRoleTrust
	}
	for i := range s.Accounts {
		acct := &s.Accounts[i]
		if acct.ID != ra.Account {
			continue
		}
		for _, role := range acct.Roles {
			if role.ARN != roleARN {
				continue
			}
			switch {
			case role.Error != nil:
				return Error, fmt.Sprintf("target role %s cannot be verified: %s", roleARN, role.Error.Error()), ""
			case role.NotFound:
				return Fail, fmt.Sprintf("target role %s does not exist, so EventBridge cannot act through it", roleARN), HopRoleTrust
			}
			req := iampolicy.ServiceRequest(principalEventBridge, "sts:AssumeRole", "", ruleARN, ruleAccount)
			if st, why, hop := policyVerdict(role.TrustPolicy, "role "+role.Name+" (trust policy)", req, HopRoleTrust); st != Pass {
				return st, why, hop
			}
			st, why := rolePermits(role, ra.Account, action, resource, ", so EventBridge's call through it is refused")
			return st, why, HopRolePolicy
		}
		return Error, fmt.Sprintf("target role %s cannot be verified: it was not collected", roleARN), ""
	}
	return Error, fmt.Sprintf("target role %s cannot be verified: account %s is not in this scan", roleARN, ra.Account), ""
}

// rolePermits evaluates a role's permission policies for one call, as IAM does for an
// identity: an explicit deny in any policy wins, else an allow in any policy, else the call is
// refused. A policy or boundary lookout cannot evaluate leaves it unknown.
func rolePermits(role snapshot.Role, account, action, resource, consequence string) (Verdict, string) {
	switch {
	case role.PoliciesError != nil:
		return Error, fmt.Sprintf("the permissions of role %s cannot be verified: %s", role.Name, role.PoliciesError.Error())
	case !role.PoliciesRead:
		return Error, fmt.Sprintf("the permissions of role %s were not collected", role.Name)
	case role.PermissionsBoundary != "":
		return Error, fmt.Sprintf("role %s has a permissions boundary (%s), which lookout does not evaluate", role.Name, role.PermissionsBoundary)
	}
	req := iampolicy.Request{Principal: iampolicy.Principal{Account: account}, Action: action, Resource: resource}
	var allowedBy string
	var unknown []string
	for _, p := range role.Policies {
		doc, err := iampolicy.Parse(p.Document)
		if err != nil {
			unknown = append(unknown, fmt.Sprintf("policy %s could not be evaluated: %v", p.Name, err))
			continue
		}
		switch res := doc.Evaluate(req); res.Decision {
		case iampolicy.ExplicitDeny:
			return Fail, fmt.Sprintf("policy %s of role %s denies %s on %s: %s", p.Name, role.Name, action, resource, res.Reason)
		case iampolicy.Allow:
			if allowedBy == "" {
				allowedBy = p.Name
			}
		case iampolicy.Unknown:
			unknown = append(unknown, fmt.Sprintf("policy %s: %s", p.Name, res.Reason))
		}
	}
	switch {
	case len(unknown) > 0:
		return Error, fmt.Sprintf("the permissions of role %s could not be evaluated for %s: %s", role.Name, action, strings.Join(unknown, "; "))
	case allowedBy == "":
		return Fail, fmt.Sprintf("no policy of role %s allows %s on %s%s", role.Name, action, resource, consequence)
	}
	return Pass, ""
}

// alarmNotification is the JSON body CloudWatch publishes to SNS when the alarm goes to
// ALARM (CloudWatch user guide, "Alarm events and Amazon SNS"): what a MessageBody filter
// policy sees. It carries no message attributes.
func alarmNotification(a snapshot.Alarm, account, region string) []byte {
	dims := []map[string]string{}
	keys := make([]string, 0, len(a.Dimensions))
	for k := range a.Dimensions {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		dims = append(dims, map[string]string{"name": k, "value": a.Dimensions[k]})
	}
	body := map[string]any{
		"AlarmName":                          a.Name,
		"AlarmDescription":                   nil,
		"AWSAccountId":                       account,
		"AlarmConfigurationUpdatedTimestamp": "2026-11-20T03:00:00.000+0000",
		"NewStateValue":                      "ALARM",
		"NewStateReason":                     fmt.Sprintf("Threshold Crossed: 1 datapoint [1.0] was %s the threshold (%g).", opSymbol(a.ComparisonOperator), a.Threshold),
		"StateChangeTime":                    "2026-11-20T03:12:00.000+0000",
		"Region":                             region,
		"AlarmArn":                           a.ARN,
		"OldStateValue":                      "OK",
		"OKActions":                          []string{},
		"AlarmActions":                       a.AlarmActions,
		"InsufficientDataActions":            []string{},
		"Trigger": map[string]any{
			"MetricName":         a.MetricName,
			"Namespace":          a.Namespace,
			"StatisticType":      "Statistic",
			"Statistic":          strings.ToUpper(a.Statistic),
			"Unit":               nil,
			"Dimensions":         dims,
			"Period":             a.Period,
			"EvaluationPeriods":  a.EvaluationPeriods,
			"ComparisonOperator": a.ComparisonOperator,
			"Threshold":          a.Threshold,
		},
	}
	b, _ := json.Marshal(body)
	return b
}
