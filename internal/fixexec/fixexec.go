// Package fixexec carries out remediation plans (internal/plan) through the AWS SDK: the one
// place where `lookout fix --apply` changes anything.
//
// Every action is dispatched by its params' type (internal/plan has one per operation) to one
// handler, which builds the SDK's input from those typed params: a parameter the API does not
// have cannot be planned at all, and what can still be wrong (a name left empty, an embedded
// source that does not exist, an operation the executor does not know) is refused before any
// call is made (Validate). The executor enforces the safety rules a second time, whatever the
// planner believed:
//   - a create first looks for its target: absent, it is created; present and tagged
//     managed-by=lookout (a previous run made it), it is left as is ("exists"); present without
//     the tag, it is the user's, and the plan stops rather than overwrite it;
//   - changes to existing resources are merges (a policy statement added by Sid, agent
//     configuration entries added, an instance profile given to an instance that has none),
//     never replacements;
//   - the one removal, revoking a security group rule (RevokeSecurityGroupIngress), runs only
//     when the executor was built with AllowRevoke (`lookout fix --allow-revoke`);
//   - a failed action stops its plan: the remaining actions are reported "skipped", and since
//     every create is create-if-absent, a rerun finishes the plan.
package fixexec

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"

	"github.com/lookout-audit/lookout/internal/awsclient"
	"github.com/lookout-audit/lookout/internal/plan"
)

// Executor applies plans with one AWS configuration (one account).
type Executor struct {
	cfg aws.Config
	// PropagationTimeout bounds how long an action waits for a role created moments earlier
	// to become usable (IAM is eventually consistent: Lambda and CloudTrail reject a role for
	// several seconds after CreateRole). Zero means DefaultPropagationTimeout.
	PropagationTimeout time.Duration
	// Progress, if set, is told after each action.
	Progress func(p *plan.Plan, a *plan.Action)
	// AllowRevoke lets the executor carry out the actions that remove something (revoking a
	// security group rule): `lookout fix --allow-revoke`. Without it they fail, whatever the
	// plan says.
	AllowRevoke bool

	mu      sync.Mutex
	clients map[string]*clients
}

// DefaultPropagationTimeout is how long an action retries while a new IAM role propagates.
const DefaultPropagationTimeout = 90 * time.Second

// New returns an executor acting with cfg.
func New(cfg aws.Config) *Executor {
	return &Executor{cfg: cfg, clients: map[string]*clients{}}
}

// clients are the service clients of one region.
type clients struct {
	region     string
	cloudtrail *cloudtrail.Client
	cloudwatch *cloudwatch.Client
	logs       *cloudwatchlogs.Client
	ec2        *ec2.Client
	events     *eventbridge.Client
	iam        *iam.Client
	lambda     *lambda.Client
	s3         *s3.Client
	sns        *sns.Client
	ssm        *ssm.Client
}

func (e *Executor) clientsFor(region string) *clients {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c, ok := e.clients[region]; ok {
		return c
	}
	cfg := e.cfg.Copy()
	cfg.Region = region
	// Emulators serve S3 on one host: bucket-in-host addressing needs real DNS.
	pathStyle := cfg.BaseEndpoint != nil || awsclient.EndpointFromEnv() != ""
	c := &clients{
		region:     region,
		cloudtrail: cloudtrail.NewFromConfig(cfg),
		cloudwatch: awsclient.CloudWatch(cfg),
		logs:       cloudwatchlogs.NewFromConfig(cfg),
		ec2:        ec2.NewFromConfig(cfg),
		events:     eventbridge.NewFromConfig(cfg),
		iam:        iam.NewFromConfig(cfg),
		lambda:     lambda.NewFromConfig(cfg),
		s3:         s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = pathStyle }),
		sns:        sns.NewFromConfig(cfg),
		ssm:        ssm.NewFromConfig(cfg),
	}
	e.clients[region] = c
	return c
}

// handler carries out one kind of action. Its functions take the action's params as
// plan.Params so that one table holds every operation; op[P] (handlers.go) is where each is
// written against its own params type, and check is what asserts that type.
type handler struct {
	// check refuses, without calling AWS, params that cannot run: of another type than the
	// operation's, or with what the call needs missing. The executor calls it before probe
	// and run, which may then take the params' type for granted.
	check func(p plan.Params) error
	// probe, for creates, looks for the target: found, and whether it carries the
	// managed-by=lookout tag.
	probe func(ctx context.Context, c *clients, p plan.Params, target string) (found, managed bool, err error)
	// run makes the call(s); detail is reported with the outcome.
	run func(ctx context.Context, c *clients, p plan.Params) (detail string, err error)
	// propagation marks errors that mean "a role created moments ago is not usable yet".
	propagation func(err error) bool
}

// Supports reports whether the executor can carry out an action (service:Operation).
func Supports(iamAction string) bool {
	_, ok := handlers[iamAction]
	return ok
}

// Validate checks every action against its handler, so that a plan the executor cannot carry
// out is refused before anything changes.
func Validate(plans []plan.Plan) error {
	var errs []error
	for _, p := range plans {
		for i, a := range p.Actions {
			if _, err := handlerFor(a); err != nil {
				errs = append(errs, fmt.Errorf("plan %s %s, action %d: %w", p.CheckID, p.Region, i+1, err))
			}
		}
	}
	return errors.Join(errs...)
}

// handlerFor returns the handler of an action whose params it accepts.
func handlerFor(a plan.Action) (handler, error) {
	if a.Params == nil {
		return handler{}, errors.New("the action has no params: lookout cannot tell what to call")
	}
	h, ok := handlers[a.IAMAction()]
	if !ok {
		return handler{}, errors.New("lookout cannot execute " + a.IAMAction())
	}
	if err := h.check(a.Params); err != nil {
		return handler{}, fmt.Errorf("%s: %w", a.IAMAction(), err)
	}
	return h, nil
}

// Apply carries out the plans in order, filling each action's Outcome and Detail. Within a
// plan, the first failure stops it and the rest are marked skipped; other plans go on (a plan
// that needed what failed will fail in turn, and say why). It returns the number of failed
// actions.
func (e *Executor) Apply(ctx context.Context, plans []plan.Plan) int {
	failed := 0
	for pi := range plans {
		p := &plans[pi]
		stopped := false
		for ai := range p.Actions {
			a := &p.Actions[ai]
			if stopped || ctx.Err() != nil {
				a.Outcome, a.Detail = plan.Skipped, "not attempted: an earlier action of this plan failed"
				if ctx.Err() != nil && !stopped {
					a.Detail = "not attempted: interrupted"
				}
				continue
			}
			a.Outcome, a.Detail = e.apply(ctx, a)
			if a.Outcome == plan.Failed {
				failed++
				stopped = true
			}
			if e.Progress != nil {
				e.Progress(p, a)
			}
		}
	}
	return failed
}

func (e *Executor) apply(ctx context.Context, a *plan.Action) (plan.Outcome, string) {
	h, err := handlerFor(*a)
	if err != nil {
		return plan.Failed, err.Error()
	}
	if removals[a.IAMAction()] && !e.AllowRevoke {
		return plan.Failed, a.IAMAction() + " removes a rule: lookout carries it out only with --allow-revoke"
	}
	c := e.clientsFor(a.Region)
	if a.Effect == plan.Create && h.probe != nil {
		found, managed, err := h.probe(ctx, c, a.Params, a.Target)
		if err != nil {
			return plan.Failed, "looking for " + a.Target + ": " + errText(err)
		}
		if found && managed {
			return plan.Exists, "already exists, tagged " + plan.ManagedByKey + "=" + plan.ManagedByValue + ": left as is"
		}
		if found {
			return plan.Failed, a.Target + " already exists and was not created by lookout (no " + plan.ManagedByKey + "=" + plan.ManagedByValue + " tag): lookout will not change it"
		}
	}
	timeout := e.PropagationTimeout
	if timeout == 0 {
		timeout = DefaultPropagationTimeout
	}
	deadline := time.Now().Add(timeout)
	for {
		detail, err := h.run(ctx, c, a.Params)
		if err == nil {
			return plan.Done, detail
		}
		if errors.Is(err, errAlreadyThere) {
			return plan.Exists, "already in place: left as is"
		}
		if h.propagation == nil || !h.propagation(err) || time.Now().After(deadline) {
			return plan.Failed, errText(err)
		}
		select {
		case <-ctx.Done():
			return plan.Failed, errText(ctx.Err())
		case <-time.After(5 * time.Second):
		}
	}
}

// errText is an error in one line, API code first.
func errText(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		msg := api.ErrorMessage()
		if msg == "" {
			return api.ErrorCode()
		}
		return api.ErrorCode() + ": " + msg
	}
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// errCode is the API error code of err, or "".
func errCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

// hasManagedTag reports whether a {Key, Value} tag list or map carries managed-by=lookout.
func hasManagedTag(kv map[string]string) bool { return kv[plan.ManagedByKey] == plan.ManagedByValue }
