package checks

import (
	"fmt"
	"strings"
	"time"

	"github.com/lookout-audit/lookout/internal/plan"
	"github.com/lookout-audit/lookout/internal/route"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// planCloudTrailLogging repairs a region no trail is recording:
//   - a covering trail that is only stopped (its selectors record every management event and
//     it delivers) is started, by name, in its home region — the only region CloudTrail accepts
//     StartLogging in;
//   - a region no trail covers gets lookout's multi-region trail, homed in o.HomeRegion: an S3
//     bucket with the policy CloudTrail requires, CloudWatch Logs delivery (log group and a role
//     CloudTrail assumes), log file validation, then StartLogging. Every region's finding plans
//     the same trail, and plan.Dedupe keeps one copy.
//
// Trails that log but miss events or cannot deliver are the user's configuration: lookout does
// not rewrite selectors or delivery, and says so. Adding a second trail there would also bill
// every management event twice.
func planCloudTrailLogging(s *snapshot.Snapshot, f Finding, o FixOptions) ([]plan.Action, string, error) {
	a, r, err := fixAccountRegion(s, f)
	if err != nil {
		return nil, "", err
	}
	if r.CloudTrail == nil || r.CloudTrail.Error != nil {
		return nil, "", fmt.Errorf("the trails of %s were not read", r.Name)
	}
	verdicts := coveringTrailVerdicts(a, *r)
	if len(verdicts) == 0 {
		return fixNewTrail(a, o.HomeRegion), "creates a multi-region trail; CloudTrail charges for it only if another trail already records management events in a region", nil
	}
	var reasons []string
	for _, v := range verdicts {
		t := v.trail
		if t.Status == nil || t.Status.IsLogging {
			reasons = append(reasons, v.reason)
			continue
		}
		if t.IsOrganizationTrail || fixTrailOwner(t.ARN) != a.ID {
			reasons = append(reasons, fmt.Sprintf("trail %s is an organization trail owned by account %s: start it there", t.Name, fixTrailOwner(t.ARN)))
			continue
		}
		if t.Selectors == nil {
			reasons = append(reasons, v.reason)
			continue
		}
		if gap := route.ManagementGap(t.Selectors); gap != "" {
			reasons = append(reasons, fmt.Sprintf("trail %s is stopped and, started, it still %s: lookout does not rewrite a trail's selectors", t.Name, gap))
			continue
		}
		return []plan.Action{fixStartLogging(fixPartition(a), a.ID, t.Name, t.HomeRegion,
			fmt.Sprintf("trail %s covers %s and records every management event, but is stopped", t.Name, r.Name))}, "", nil
	}
	return nil, "no automatic fix: " + strings.Join(reasons, "; "), nil
}

func fixStartLogging(partition, account, trail, home, why string) plan.Action {
	return plan.Action{
		Region: home, Target: fixARN(partition, "cloudtrail", home, account, "trail/"+trail), Effect: plan.Start,
		// By name: valid in the home region, and the form every CloudTrail endpoint accepts.
		Params: plan.StartLogging{Name: trail},
		Why:    why,
	}
}

// fixNewTrail creates lookout's trail in home. Order matters: the bucket policy and the
// role must exist before CreateTrail, which checks both.
func fixNewTrail(a *snapshot.Account, home string) []plan.Action {
	p, acct := fixPartition(a), a.ID
	bucket := fixTrailBucket(acct, home)
	trailARN := fixARN(p, "cloudtrail", home, acct, "trail/"+fixTrailName)
	logGroupARN := fixARN(p, "logs", home, acct, "log-group:"+fixTrailLogGroup)
	roleARN := fixARN(p, "iam", "", acct, "role/"+fixTrailLogsRole)
	bucketARN := fmt.Sprintf("arn:%s:s3:::%s", p, bucket)

	createBucket := plan.CreateBucket{Bucket: bucket, Tags: fixTags()}
	if home != "us-east-1" {
		createBucket.CreateBucketConfiguration = &plan.BucketConfiguration{LocationConstraint: home}
	}
	// The policy CloudTrail requires (AWS CloudTrail User Guide, "Amazon S3 bucket policy for
	// CloudTrail"), narrowed to this trail by aws:SourceArn, plus a TLS-only deny.
	bucketPolicy := fixPolicy(
		map[string]any{
			"Sid": "AWSCloudTrailAclCheck", "Effect": "Allow",
			"Principal": map[string]any{"Service": "cloudtrail.amazonaws.com"},
			"Action":    "s3:GetBucketAcl", "Resource": bucketARN,
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceArn": trailARN}},
		},
		map[string]any{
			"Sid": "AWSCloudTrailWrite", "Effect": "Allow",
			"Principal": map[string]any{"Service": "cloudtrail.amazonaws.com"},
			"Action":    "s3:PutObject", "Resource": bucketARN + "/AWSLogs/" + acct + "/*",
			"Condition": map[string]any{"StringEquals": map[string]any{
				"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trailARN}},
		},
		map[string]any{
			"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*",
			"Action": "s3:*", "Resource": []string{bucketARN, bucketARN + "/*"},
			"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
		},
	)
	trustPolicy := fixPolicy(map[string]any{
		"Effect": "Allow", "Principal": map[string]any{"Service": "cloudtrail.amazonaws.com"},
		"Action": "sts:AssumeRole",
	})
	deliveryPolicy := fixPolicy(map[string]any{
		"Effect":   "Allow",
		"Action":   []string{"logs:CreateLogStream", "logs:PutLogEvents"},
		"Resource": logGroupARN + ":log-stream:*",
	})
	return []plan.Action{
		{Region: home, Target: bucketARN, Effect: plan.Create,
			Params: createBucket, Why: "the trail's log files are delivered to this bucket"},
		{Region: home, Target: bucketARN, Effect: plan.Configure,
			Params: plan.PutBucketPolicy{Bucket: bucket, Policy: bucketPolicy},
			Why:    "CloudTrail delivers only to a bucket whose policy lets it check the ACL and write under AWSLogs/" + acct},
		{Region: home, Target: logGroupARN, Effect: plan.Create,
			Params: plan.CreateLogGroup{LogGroupName: fixTrailLogGroup, Tags: fixTagMap()},
			Why:    "CloudWatch Logs delivery, which the CIS metric filters and alarms read"},
		{Region: home, Target: roleARN, Effect: plan.Create,
			Params: plan.CreateRole{RoleName: fixTrailLogsRole, AssumeRolePolicyDocument: trustPolicy, Tags: fixTags(),
				Description: "lookout: lets CloudTrail deliver " + fixTrailName + " events to CloudWatch Logs"},
			Why: "CloudTrail assumes this role to write to the log group"},
		{Region: home, Target: roleARN, Effect: plan.Configure,
			Params: plan.PutRolePolicy{RoleName: fixTrailLogsRole, PolicyName: fixTrailLogsPolicy, PolicyDocument: deliveryPolicy},
			Why:    "allows only CreateLogStream and PutLogEvents on the trail's log group"},
		{Region: home, Target: trailARN, Effect: plan.Create,
			Params: plan.CreateTrail{
				Name: fixTrailName, S3BucketName: bucket, IsMultiRegionTrail: true,
				IncludeGlobalServiceEvents: true, EnableLogFileValidation: true,
				CloudWatchLogsLogGroupARN: logGroupARN + ":*", CloudWatchLogsRoleARN: roleARN,
				TagsList: fixTags(),
			},
			Why: "a multi-region trail recording every management event, read and write (the default selectors), with log file validation"},
		fixStartLogging(p, acct, fixTrailName, home, "a new trail records nothing until it is started"),
	}
}

// projectCloudTrailLogging marks started trails as logging and adds the trail lookout creates,
// with its log group, so that the StopLogging and alarm checks plan for them in the same run.
func projectCloudTrailLogging(s *snapshot.Snapshot, plans []plan.Plan, _ FixOptions) {
	for _, p := range plans {
		a, err := fixAccount(s, p.Account)
		if err != nil {
			continue
		}
		for _, act := range p.Actions {
			switch params := act.Params.(type) {
			case plan.StartLogging:
				for i := range a.Trails {
					t := &a.Trails[i]
					if t.ARN != act.Target || t.Status == nil {
						continue
					}
					st := *t.Status
					st.IsLogging = true
					st.StopLoggingTime = nil
					t.Status = &st
				}
			case plan.CreateTrail:
				projectNewTrail(s, a, act, params)
			}
		}
	}
}

func projectNewTrail(s *snapshot.Snapshot, a *snapshot.Account, act plan.Action, p plan.CreateTrail) {
	if a.Trail(act.Target) != nil {
		return
	}
	logGroupARN := strings.TrimSuffix(p.CloudWatchLogsLogGroupARN, ":*")
	now := s.CollectedAt
	if now.IsZero() {
		now = time.Now().UTC()
	}
	includeGlobal := p.IncludeGlobalServiceEvents
	a.Trails = append(a.Trails, snapshot.Trail{
		Name: p.Name, ARN: act.Target, HomeRegion: act.Region, IsMultiRegion: p.IsMultiRegionTrail,
		S3BucketName:               p.S3BucketName,
		LogFileValidationEnabled:   p.EnableLogFileValidation,
		CloudWatchLogsLogGroupARN:  logGroupARN,
		CloudWatchLogsRoleARN:      p.CloudWatchLogsRoleARN,
		Status:                     &snapshot.TrailStatus{IsLogging: true, StartLoggingTime: &now},
		Selectors:                  &snapshot.EventSelectors{Default: true},
		IncludeGlobalServiceEvents: &includeGlobal,
	})
	for i := range a.Regions {
		r := &a.Regions[i]
		if r.CloudTrail != nil && r.CloudTrail.Error == nil {
			r.CloudTrail.TrailARNs = append(r.CloudTrail.TrailARNs, act.Target)
		}
		if r.Name == act.Region && r.Logs != nil && r.Logs.Error == nil {
			r.Logs.LogGroups = append(r.Logs.LogGroups, snapshot.LogGroup{Name: fixTrailLogGroup, ARN: logGroupARN})
		}
	}
}
