package collect

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

// collectDelivery reads what it takes to judge whether this region's notifications can reach
// their subscribers, and only that: the resource policies of the functions that this region's
// rules and topics invoke, the queues subscribed to this region's topics, and the KMS keys
// that encrypt those topics and queues. It runs after every collector of the region, from
// what they found, and reads each distinct item once. It leaves r.KMS and r.SQS non-nil
// (possibly empty), so that "nothing referenced" reads differently from "not collected".
func collectDelivery(ctx context.Context, c *regionClients, r *snapshot.Region) {
	// The function policies and the queues (then their keys) are independent reads.
	fanOut(3, func(i int) {
		switch i {
		case 0:
			functionPolicies(ctx, c, r)
		case 1:
			r.SQS = subscriberQueues(ctx, c, r)
			r.KMS = deliveryKeys(ctx, c, r)
		default:
			r.Runbooks = automationRunbooks(ctx, c, r)
		}
	})
}

// ---- SSM Automation runbooks ----

// automationRunbooks reads (ssm:GetDocument), once each, the Automation documents that this
// region's rule targets start (arn:PARTITION:ssm:REGION:ACCOUNT:automation-definition/NAME[:VERSION];
// AWS-owned runbooks have no account in the ARN and are read the same way), so that what the
// runbook calls, and with which role, is judged from its steps rather than assumed.
func automationRunbooks(ctx context.Context, c *regionClients, r *snapshot.Region) *snapshot.RunbookData {
	out := &snapshot.RunbookData{Documents: []snapshot.Runbook{}}
	if r.EventBridge == nil {
		return out
	}
	wanted := map[string]snapshot.Runbook{}
	for _, rule := range r.EventBridge.Rules {
		for _, t := range rule.Targets {
			if name, version, ok := automationDocument(t.ARN, c.region); ok {
				wanted[name+":"+version] = snapshot.Runbook{Name: name, Version: version}
			}
		}
	}
	keys := sortedKeys(wanted)
	out.Documents = make([]snapshot.Runbook, len(keys))
	fanOut(len(keys), func(i int) {
		doc := wanted[keys[i]]
		in := &ssm.GetDocumentInput{Name: aws.String(doc.Name)}
		if doc.Version != "" && doc.Version != "$DEFAULT" {
			in.DocumentVersion = aws.String(doc.Version)
		}
		got, err := c.ssm.GetDocument(ctx, in)
		switch {
		case errorCode(err) == "InvalidDocument":
			doc.NotFound = true
		case err != nil:
			doc.Error = readError("ssm:GetDocument", err)
		default:
			doc.Content, doc.Format = aws.ToString(got.Content), string(got.DocumentFormat)
		}
		out.Documents[i] = doc
	})
	return out
}

// automationDocument is the document name and version qualifier of an SSM Automation target
// ARN in region; ok is false for any other target.
func automationDocument(target, region string) (name, version string, ok bool) {
	a, err := arn.Parse(target)
	if err != nil || a.Service != "ssm" || a.Region != region || !strings.HasPrefix(a.Resource, "automation-definition/") {
		return "", "", false
	}
	name, version, _ = strings.Cut(strings.TrimPrefix(a.Resource, "automation-definition/"), ":")
	return name, version, name != ""
}

// ---- Lambda resource policies ----

// functionPolicies reads lambda:GetPolicy for every function of the region that a rule target
// or a lambda subscription of the region invokes. A target may name the function with an alias
// or version qualifier; each qualifier has its own resource policy, and GetPolicy with the
// qualified ARN reads that one, so the policy is read with the ARN exactly as it is invoked.
func functionPolicies(ctx context.Context, c *regionClients, r *snapshot.Region) {
	if r.Lambda == nil {
		return
	}
	index := make(map[string]int, len(r.Lambda.Functions))
	for i, f := range r.Lambda.Functions {
		index[f.ARN] = i
	}
	invoked := map[int]map[string]bool{} // function index -> the ARNs it is invoked as
	note := func(arn string) {
		i, ok := index[unqualifiedFunctionARN(arn)]
		if !ok {
			return // another region's or account's function, or one that does not exist
		}
		if invoked[i] == nil {
			invoked[i] = map[string]bool{}
		}
		invoked[i][arn] = true
	}
	if r.EventBridge != nil {
		for _, rule := range r.EventBridge.Rules {
			for _, t := range rule.Targets {
				note(t.ARN)
			}
		}
	}
	if r.SNS != nil {
		for _, t := range r.SNS.Topics {
			for _, s := range t.Subscriptions {
				if s.Protocol == "lambda" && s.EndpointARN != "" {
					note(s.EndpointARN)
				}
			}
		}
	}
	functions := make([]int, 0, len(invoked))
	for i := range invoked {
		functions = append(functions, i)
	}
	sort.Ints(functions)
	fanOut(len(functions), func(k int) {
		i := functions[k]
		f := &r.Lambda.Functions[i]
		functionConfig(ctx, c, f)
		arns := sortedKeys(invoked[i])
		if len(arns) > 1 {
			// Each ARN has its own policy, and the snapshot holds one per function: say so
			// rather than keep one of them as if it applied to every invocation.
			f.PolicyError = &snapshot.ReadError{
				Operation: "lambda:GetPolicy",
				Code:      "MultipleQualifiers",
				Message:   "the function is invoked as " + strings.Join(arns, " and ") + ", each with its own resource policy; the snapshot holds one policy per function",
			}
			return
		}
		out, err := c.lambda.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(arns[0])})
		switch {
		case errorCode(err) == "ResourceNotFoundException":
			// The function (listed moments ago) has no resource policy: no service may
			// invoke it.
			f.PolicyRead = true
		case err != nil:
			f.PolicyError = readError("lambda:GetPolicy", err)
		default:
			f.Policy, f.PolicyRead = aws.ToString(out.Policy), true
		}
	})
}

// functionConfig reads lambda:GetFunction for a function that is invoked: its State (which
// ListFunctions does not return; only an Active function runs) and its reserved concurrency
// (Concurrency.ReservedConcurrentExecutions; 0, what the console's Throttle button sets,
// throttles every invocation until EventBridge gives up on the event). Nothing else of the
// answer is kept: not the code location, not the environment.
func functionConfig(ctx context.Context, c *regionClients, f *snapshot.Function) {
	out, err := c.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(f.ARN)})
	switch {
	case err != nil:
		f.ConfigError = readError("lambda:GetFunction", err)
		return
	case out.Configuration == nil:
		f.ConfigError = &snapshot.ReadError{Operation: "lambda:GetFunction", Message: "the answer has no configuration"}
		return
	}
	// Role is ListFunctions' answer and is left alone: the roles follow-up reads it meanwhile.
	f.ConfigRead = true
	f.State = string(out.Configuration.State)
	if out.Concurrency != nil && out.Concurrency.ReservedConcurrentExecutions != nil {
		n := *out.Concurrency.ReservedConcurrentExecutions
		f.ReservedConcurrency = &n
	}
}

// unqualifiedFunctionARN strips an alias or version qualifier from a Lambda function ARN
// (arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]); it returns "" for anything
// else.
func unqualifiedFunctionARN(s string) string {
	a, err := arn.Parse(s)
	if err != nil || a.Service != "lambda" {
		return ""
	}
	resource := strings.Split(a.Resource, ":")
	if len(resource) < 2 || len(resource) > 3 || resource[0] != "function" {
		return ""
	}
	a.Resource = "function:" + resource[1]
	return a.String()
}

// ---- SQS subscriber queues ----

// subscriberQueues reads the delivery-relevant attributes of every queue of this account and
// region subscribed to one of the region's topics. A queue elsewhere is not read: its
// attributes can only be read with credentials of its own account and region.
func subscriberQueues(ctx context.Context, c *regionClients, r *snapshot.Region) *snapshot.SQSData {
	d := &snapshot.SQSData{Queues: []snapshot.Queue{}}
	wanted := map[string]string{} // queue ARN -> queue name
	if r.SNS != nil {
		for _, t := range r.SNS.Topics {
			for _, s := range t.Subscriptions {
				if s.Protocol != "sqs" {
					continue
				}
				if name := c.queueName(s.EndpointARN); name != "" {
					wanted[s.EndpointARN] = name
				}
			}
		}
	}
	// Queues that rules of this region target (EventBridge delivers to a queue in its own
	// region and account).
	if r.EventBridge != nil {
		for _, rule := range r.EventBridge.Rules {
			for _, t := range rule.Targets {
				if name := c.queueName(t.ARN); name != "" {
					wanted[t.ARN] = name
				}
			}
		}
	}
	arns := sortedKeys(wanted)
	queues := make([]snapshot.Queue, len(arns))
	fanOut(len(arns), func(i int) { queues[i] = readQueue(ctx, c, arns[i], wanted[arns[i]]) })
	d.Queues = append(d.Queues, queues...)
	return d
}

// queueName is the name of a queue of this region and account from its ARN
// (arn:PARTITION:sqs:REGION:ACCOUNT:NAME), "" for any other ARN or what is not one.
func (c *regionClients) queueName(s string) string {
	a, err := arn.Parse(s)
	if err != nil || a.Service != "sqs" || a.Region != c.region || a.AccountID != c.accountID || strings.Contains(a.Resource, ":") {
		return ""
	}
	return a.Resource
}

func readQueue(ctx context.Context, c *regionClients, arn, name string) snapshot.Queue {
	q := snapshot.Queue{ARN: arn}
	url, err := c.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name), QueueOwnerAWSAccountId: aws.String(c.accountID)})
	switch {
	case queueNotFound(err):
		q.NotFound = true
		return q
	case err != nil:
		q.Error = readError("sqs:GetQueueUrl", err)
		return q
	}
	attrs, err := c.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       url.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNamePolicy, sqstypes.QueueAttributeNameKmsMasterKeyId},
	})
	switch {
	case queueNotFound(err):
		q.NotFound = true
	case err != nil:
		q.Error = readError("sqs:GetQueueAttributes", err)
	default:
		q.Policy = attrs.Attributes[string(sqstypes.QueueAttributeNamePolicy)]
		q.KMSKeyID = attrs.Attributes[string(sqstypes.QueueAttributeNameKmsMasterKeyId)]
	}
	return q
}

// queueNotFound recognises "no such queue" under both of its codes: the query protocol's
// AWS.SimpleQueueService.NonExistentQueue (which the JSON protocol still reports for
// compatibility) and the modelled QueueDoesNotExist.
func queueNotFound(err error) bool {
	if err == nil {
		return false
	}
	var qdne *sqstypes.QueueDoesNotExist
	if errors.As(err, &qdne) {
		return true
	}
	code := errorCode(err)
	return code == "AWS.SimpleQueueService.NonExistentQueue" || code == "QueueDoesNotExist"
}

// ---- KMS keys ----

// deliveryKeys reads every distinct KMS key that encrypts one of the region's topics or
// subscriber queues: DescribeKey with the reference as written (alias name, alias ARN, key id
// or key ARN), then the key's "default" policy, the only name a key policy has.
func deliveryKeys(ctx context.Context, c *regionClients, r *snapshot.Region) *snapshot.KMSData {
	d := &snapshot.KMSData{Keys: []snapshot.KMSKey{}}
	refs := map[string]bool{}
	if r.SNS != nil {
		for _, t := range r.SNS.Topics {
			if t.KMSKeyID != "" {
				refs[t.KMSKeyID] = true
			}
		}
	}
	if r.SQS != nil {
		for _, q := range r.SQS.Queues {
			if q.KMSKeyID != "" {
				refs[q.KMSKeyID] = true
			}
		}
	}
	// Two references (an alias and the key's ARN, say) may name one key: its policy is read
	// once.
	policies := &keyPolicies{m: map[string]*keyPolicy{}}
	list := sortedKeys(refs)
	keys := make([]snapshot.KMSKey, len(list))
	fanOut(len(list), func(i int) { keys[i] = readKey(ctx, c, list[i], policies) })
	d.Keys = append(d.Keys, keys...)
	return d
}

// keyPolicy is one GetKeyPolicy answer, kept per key id and read once.
type keyPolicy struct {
	once   sync.Once
	policy string
	err    *snapshot.ReadError
}

// keyPolicies are the region's key policies by key id, for references read at once.
type keyPolicies struct {
	mu sync.Mutex
	m  map[string]*keyPolicy
}

func (p *keyPolicies) get(id string) *keyPolicy {
	p.mu.Lock()
	defer p.mu.Unlock()
	kp, ok := p.m[id]
	if !ok {
		kp = &keyPolicy{}
		p.m[id] = kp
	}
	return kp
}

func readKey(ctx context.Context, c *regionClients, ref string, policies *keyPolicies) snapshot.KMSKey {
	k := snapshot.KMSKey{Ref: ref}
	if awsManagedAlias(ref) {
		// alias/aws/sns, alias/aws/sqs and every other alias/aws/ name are AWS managed keys by
		// definition (AWS reserves the prefix), and what delivery needs to know of one is
		// just that: its policy, which nobody can change, lets only the service itself use
		// the key on behalf of principals of the account, never CloudWatch or EventBridge.
		// No call is needed to say so.
		k.KeyManager = string(kmstypes.KeyManagerTypeAws)
		return k
	}
	out, err := c.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(ref)})
	var nf *kmstypes.NotFoundException
	switch {
	case errors.As(err, &nf) || errorCode(err) == "NotFoundException":
		k.NotFound = true
		return k
	case err != nil:
		k.Error = readError("kms:DescribeKey", err)
		return k
	case out.KeyMetadata == nil:
		k.Error = &snapshot.ReadError{Operation: "kms:DescribeKey", Message: "the answer has no key metadata"}
		return k
	}
	md := out.KeyMetadata
	k.KeyID = aws.ToString(md.KeyId)
	k.ARN = aws.ToString(md.Arn)
	k.KeyManager = string(md.KeyManager)
	k.KeyState = string(md.KeyState)
	if owner := aws.ToString(md.AWSAccountId); owner != "" && owner != c.accountID {
		// GetKeyPolicy does not work across accounts: only the key's own account can read
		// its policy. Record that it was not read rather than call in vain.
		k.Error = &snapshot.ReadError{
			Operation: "kms:GetKeyPolicy",
			Code:      "CrossAccountKey",
			Message:   "the key belongs to account " + owner + ", and a key policy can only be read from the key's own account",
		}
		return k
	}
	kp := policies.get(k.KeyID)
	kp.once.Do(func() {
		out, err := c.kms.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(k.KeyID), PolicyName: aws.String("default")})
		if err != nil {
			kp.err = readError("kms:GetKeyPolicy", err)
		} else {
			kp.policy = aws.ToString(out.Policy)
		}
	})
	k.Policy, k.Error = kp.policy, kp.err
	return k
}

// awsManagedAlias reports whether a key reference is an AWS managed key's alias, as a name
// (alias/aws/sns) or an ARN (arn:PARTITION:kms:REGION:ACCOUNT:alias/aws/sns).
func awsManagedAlias(ref string) bool {
	if a, err := arn.Parse(ref); err == nil {
		ref = a.Resource
	}
	return strings.HasPrefix(ref, "alias/aws/")
}

// ---- helpers ----

// errorCode is the AWS error code of err, "" when err is nil or not an API error.
func errorCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
