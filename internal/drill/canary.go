package drill

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/awsarn"
	"github.com/lookout-audit/lookout/internal/detection"
	"github.com/lookout-audit/lookout/internal/eventpattern"
	"github.com/lookout-audit/lookout/internal/route"
)

// The StopLogging drill: a canary trail of the drill's own, in the home region of the trail
// under test, logging to a bucket of its own (with the bucket policy CloudTrail requires,
// CloudTrail user guide "Amazon S3 bucket policy for CloudTrail"), both tagged lookout:drill.
// The drill starts it, stops it, and watches cloudtrail:GetTrailStatus until the remediation
// restarts it or the deadline passes; the canary and its bucket are removed at the end, also
// on failure, deadline and Ctrl-C. A rule narrowed to particular trails does not match the
// canary's StopLogging: the plan says so and the canary is not made.

// CanaryPrefix starts the name of every trail and bucket a drill creates.
const CanaryPrefix = "lookout-drill-"

// Steps of a StopLogging drill.
const (
	StepCreateBucket = "create-bucket"
	StepCreateTrail  = "create-trail"
	StepStartLogging = "start-logging"
	StepStopLogging  = "stop-logging"
	StepRemediated   = "remediated"
	StepCleanup      = "cleanup"
)

// CanaryPermissions are the IAM actions a StopLogging drill calls.
var CanaryPermissions = []string{
	"s3:CreateBucket", "s3:PutBucketTagging", "s3:PutBucketPolicy", "s3:ListBucket", "s3:DeleteObject", "s3:DeleteBucket",
	"cloudtrail:CreateTrail", "cloudtrail:AddTags", "cloudtrail:StartLogging", "cloudtrail:StopLogging",
	"cloudtrail:GetTrailStatus", "cloudtrail:DeleteTrail",
	// Before a canary is made: what earlier drills left (leftovers.go).
	"cloudtrail:ListTrails", "cloudtrail:ListTags", "s3:ListAllMyBuckets", "s3:GetBucketTagging", "s3:GetBucketLocation",
}

// CloudTrailAPI is what a StopLogging drill calls (a *cloudtrail.Client).
type CloudTrailAPI interface {
	CreateTrail(ctx context.Context, in *cloudtrail.CreateTrailInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.CreateTrailOutput, error)
	StartLogging(ctx context.Context, in *cloudtrail.StartLoggingInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.StartLoggingOutput, error)
	StopLogging(ctx context.Context, in *cloudtrail.StopLoggingInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.StopLoggingOutput, error)
	GetTrailStatus(ctx context.Context, in *cloudtrail.GetTrailStatusInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailStatusOutput, error)
	DeleteTrail(ctx context.Context, in *cloudtrail.DeleteTrailInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.DeleteTrailOutput, error)
}

// S3API is what a StopLogging drill calls on its bucket (a *s3.Client).
type S3API interface {
	CreateBucket(ctx context.Context, in *s3.CreateBucketInput, opts ...func(*s3.Options)) (*s3.CreateBucketOutput, error)
	PutBucketTagging(ctx context.Context, in *s3.PutBucketTaggingInput, opts ...func(*s3.Options)) (*s3.PutBucketTaggingOutput, error)
	PutBucketPolicy(ctx context.Context, in *s3.PutBucketPolicyInput, opts ...func(*s3.Options)) (*s3.PutBucketPolicyOutput, error)
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, opts ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
	DeleteBucket(ctx context.Context, in *s3.DeleteBucketInput, opts ...func(*s3.Options)) (*s3.DeleteBucketOutput, error)
}

// canaryTarget is the StopLogging drill of one trail's remediation.
type canaryTarget struct {
	Trail string // the trail under test
	Rules []string
	// Name and Bucket are the canary's: each drilled trail has its own, so that drills of
	// several trails of one account and region run side by side.
	Name, Bucket string
}

// canaryName is the name of the drill's n-th canary trail and of its bucket in an account
// (bucket names are global: the account keeps two accounts' apart).
func canaryName(id string, n int, account string) (trail, bucket string) {
	trail = fmt.Sprintf("%s%s-%d", CanaryPrefix, id, n)
	return trail, trail + "-" + account
}

// canaryPlan is the drill of a StopLogging remediation finding: a canary in the trail's home
// region, unless no rule on the finding's path matches the canary's StopLogging.
func canaryPlan(f checks.Finding, id string, n int) Result {
	r := base(f)
	e, ok := ruleEvidence(f)
	if !ok || e.HomeRegion == "" {
		r.Message = "no remediation to exercise: the scan's evidence names no trail and home region"
		return r
	}
	r.Region = e.HomeRegion
	if b := f.Broken(); b != nil && (b.Link == route.LinkRule || b.Link == route.LinkTrail) {
		// No rule sees the real trail's StopLogging: there is nothing a canary could set off.
		r.Message = fmt.Sprintf("no remediation to exercise: the scan found the chain broken at %s", b)
		return r
	}
	trail, bucket := canaryName(id, n, f.Account)
	canary := detection.Trail{Name: trail, Region: e.HomeRegion, Account: f.Account,
		ARN: awsarn.Build(partitionOf(f.Resource), "cloudtrail", e.HomeRegion, f.Account, "trail/"+trail)}
	stop := detection.StopLogging(canary).Positives[0] // by name, as the drill calls it
	var seeing, others []string
	for _, rv := range e.Rules {
		if !strings.HasPrefix(rv.State, "ENABLED") {
			continue
		}
		p, err := eventpattern.Parse(rv.Pattern)
		if err != nil {
			continue
		}
		if m, err := p.Match(stop.Body); err == nil && m {
			seeing = append(seeing, rv.Rule)
		} else {
			others = append(others, rv.Rule)
		}
	}
	switch {
	case len(e.Rules) == 0:
		r.Message = "no remediation to exercise: no rule on the default bus matches StopLogging on this trail"
		return r
	case len(seeing) == 0:
		r.Message = fmt.Sprintf("not exercised: rule %s matches StopLogging of particular trails only, so it would not see a canary trail (--target-trail %s drills the real trail)", strings.Join(others, ", "), e.Trail)
		return r
	}
	r.canary = &canaryTarget{Trail: e.Trail, Rules: seeing, Name: trail, Bucket: bucket}
	r.Permissions = CanaryPermissions
	r.Plan = []string{
		fmt.Sprintf("create bucket %s in %s with the bucket policy CloudTrail requires, tagged %s=%s", bucket, e.HomeRegion, TagKey, id),
		fmt.Sprintf("create trail %s logging to it in %s, tagged %s=%s; cloudtrail:StartLogging, then cloudtrail:StopLogging", trail, e.HomeRegion, TagKey, id),
		fmt.Sprintf("watch cloudtrail:GetTrailStatus until rule %s's remediation restarts it, until the deadline", strings.Join(seeing, ", ")),
		"delete the trail and the bucket, also on failure, deadline and Ctrl-C",
	}
	r.Receives = "whatever the remediation rule's targets send besides restarting the trail (the canary's StopLogging is a real event)"
	r.Message = fmt.Sprintf("plan: stop a canary trail in %s and time its remediation (run with --apply)", e.HomeRegion)
	return r
}

// partitionOf is the partition of the trail under test (its ARN's), the one the canary is made
// in.
func partitionOf(resource string) string {
	a, _ := awsarn.Parse(resource)
	return a.Partition // "": awsarn.Build's default
}

// bucketPolicy is the policy CloudTrail requires of a trail's bucket (CloudTrail user guide,
// "Amazon S3 bucket policy for CloudTrail").
func bucketPolicy(partition, bucket, account, trailARN string) string {
	bucketARN := awsarn.Build(partition, "s3", "", "", bucket)
	doc := map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{
			{"Sid": "AWSCloudTrailAclCheck", "Effect": "Allow", "Principal": map[string]string{"Service": "cloudtrail.amazonaws.com"},
				"Action": "s3:GetBucketAcl", "Resource": bucketARN,
				"Condition": map[string]any{"StringEquals": map[string]string{"aws:SourceArn": trailARN}}},
			{"Sid": "AWSCloudTrailWrite", "Effect": "Allow", "Principal": map[string]string{"Service": "cloudtrail.amazonaws.com"},
				"Action": "s3:PutObject", "Resource": bucketARN + "/AWSLogs/" + account + "/*",
				"Condition": map[string]any{"StringEquals": map[string]string{"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trailARN}}},
		},
	}
	b, _ := json.Marshal(doc)
	return string(b)
}

// exerciseCanary runs one StopLogging drill; what it created is appended to created (via add).
func exerciseCanary(ctx context.Context, r *Result, o Options, add func(Created)) {
	step := func(name string, st Status, detail string) { r.addStep(o.Now(), name, st, detail) }
	end := r.end
	ct, err := o.CloudTrail(r.Account, r.Region)
	if err != nil {
		end(Error, false, fmt.Sprintf("no CloudTrail client for %s %s: %v", r.Account, r.Region, err))
		return
	}
	s3c, err := o.S3(r.Account, r.Region)
	if err != nil {
		end(Error, false, fmt.Sprintf("no S3 client for %s %s: %v", r.Account, r.Region, err))
		return
	}
	trail, bucket := r.canary.Name, r.canary.Bucket
	partition := partitionOf(r.Resource)
	trailARN := awsarn.Build(partition, "cloudtrail", r.Region, r.Account, "trail/"+trail)
	bucketARN := awsarn.Build(partition, "s3", "", "", bucket)
	var madeBucket, madeTrail bool
	defer func() {
		// Cleanup runs whatever happened, with a context of its own: Ctrl-C must not leave
		// the canary behind.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		var problems []string
		if madeTrail {
			_, err := ct.DeleteTrail(cctx, &cloudtrail.DeleteTrailInput{Name: aws.String(trail)})
			if err != nil {
				problems = append(problems, "cloudtrail:DeleteTrail: "+err.Error())
			}
			add(Created{ARN: trailARN, Removed: err == nil})
		}
		if madeBucket {
			err := emptyAndDelete(cctx, s3c, bucket)
			if err != nil {
				problems = append(problems, err.Error())
			}
			add(Created{ARN: bucketARN, Removed: err == nil})
		}
		if len(problems) > 0 {
			step(StepCleanup, Error, strings.Join(problems, "; ")+" (lookout drill --cleanup removes it later)")
			if r.Status == Pass {
				r.Status = Error
			}
		} else if madeTrail || madeBucket {
			step(StepCleanup, Pass, "deleted trail "+trail+" and bucket "+bucket)
		}
	}()

	tags := []cttypes.Tag{{Key: aws.String(TagKey), Value: aws.String(o.ID)}}
	in := &s3.CreateBucketInput{Bucket: aws.String(bucket)}
	if r.Region != "us-east-1" {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(r.Region)}
	}
	if _, err := s3c.CreateBucket(ctx, in); err != nil {
		step(StepCreateBucket, Error, err.Error())
		end(Error, false, interrupted(ctx, "could not create the canary's bucket: "+err.Error()))
		return
	}
	madeBucket = true
	if _, err := s3c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(bucket),
		Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: aws.String(TagKey), Value: aws.String(o.ID)}}}}); err != nil {
		step(StepCreateBucket, Error, err.Error())
		end(Error, false, interrupted(ctx, "could not tag the canary's bucket: "+err.Error()))
		return
	}
	if _, err := s3c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(bucketPolicy(partition, bucket, r.Account, trailARN))}); err != nil {
		step(StepCreateBucket, Error, err.Error())
		end(Error, false, interrupted(ctx, "could not give the canary's bucket CloudTrail's policy: "+err.Error()))
		return
	}
	step(StepCreateBucket, Pass, "bucket "+bucket+", tagged "+TagKey+"="+o.ID)
	if _, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String(trail), S3BucketName: aws.String(bucket), TagsList: tags}); err != nil {
		step(StepCreateTrail, Error, err.Error())
		end(Error, false, interrupted(ctx, "could not create the canary trail: "+err.Error()))
		return
	}
	madeTrail = true
	step(StepCreateTrail, Pass, "trail "+trail+" in "+r.Region)
	if _, err := ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String(trail)}); err != nil {
		step(StepStartLogging, Error, err.Error())
		end(Error, false, interrupted(ctx, "could not start the canary trail: "+err.Error()))
		return
	}
	step(StepStartLogging, Pass, "the canary is logging")
	at := o.Now()
	if _, err := ct.StopLogging(ctx, &cloudtrail.StopLoggingInput{Name: aws.String(trail)}); err != nil {
		step(StepStopLogging, Error, err.Error())
		end(Error, false, interrupted(ctx, "could not stop the canary trail: "+err.Error()))
		return
	}
	step(StepStopLogging, Pass, "cloudtrail:StopLogging on "+trail)

	took, err := watchRestart(ctx, ct, trail, at, o)
	switch {
	case err != nil:
		step(StepRemediated, Error, err.Error())
		end(Error, true, interrupted(ctx, "stopped watching the canary: "+err.Error()))
	case took >= 0:
		step(StepRemediated, Pass, fmt.Sprintf("the canary is logging again %s after StopLogging", took))
		end(Pass, true, fmt.Sprintf("the remediation restarted a stopped canary trail %s after StopLogging (rule %s)", took, strings.Join(r.canary.Rules, ", ")))
	default:
		step(StepRemediated, Fail, fmt.Sprintf("the canary was still stopped %s after StopLogging", o.Deadline))
		end(Fail, true, fmt.Sprintf("nothing restarted a stopped canary trail within %s (rule %s matches its StopLogging)", o.Deadline, strings.Join(r.canary.Rules, ", ")))
	}
}

// watchRestart reads cloudtrail:GetTrailStatus of trail, stopped at at, until it logs again or
// the deadline passes; it returns how long the restart took (negative: not within the
// deadline) or the error that stopped the watch.
func watchRestart(ctx context.Context, ct CloudTrailAPI, trail string, at time.Time, o Options) (time.Duration, error) {
	deadline := at.Add(o.Deadline)
	for {
		st, err := ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(trail)})
		switch {
		case err != nil:
			return -1, fmt.Errorf("cloudtrail:GetTrailStatus %s: %w", trail, err)
		case aws.ToBool(st.IsLogging):
			return o.Now().Sub(at).Round(time.Second), nil
		case !o.Now().Before(deadline):
			return -1, nil
		}
		if err := o.Sleep(ctx, min(o.PollInterval, deadline.Sub(o.Now()))); err != nil {
			return -1, err
		}
	}
}

// emptyAndDelete deletes the bucket's objects (CloudTrail's digest and log files) and then
// the bucket.
func emptyAndDelete(ctx context.Context, c S3API, bucket string) error {
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("s3:ListBucket %s: %w", bucket, err)
		}
		for _, obj := range page.Contents {
			if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: obj.Key}); err != nil {
				return fmt.Errorf("s3:DeleteObject %s/%s: %w", bucket, aws.ToString(obj.Key), err)
			}
		}
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return fmt.Errorf("s3:DeleteBucket %s: %w", bucket, err)
	}
	return nil
}
