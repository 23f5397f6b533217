package checks

import (
	"fmt"
	"testing"

	"github.com/lookout-audit/lookout/internal/detection"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// largeSnapshot is one account with 17 regions, each holding filtersPerRegion metric filters
// (a mix of the reference patterns and unrelated ones) with alarms, and rulesPerRegion
// EventBridge rules: the scale at which evaluating every detection over every filter and rule
// must stay fast.
func largeSnapshot(filtersPerRegion, rulesPerRegion int) *snapshot.Snapshot {
	regions := []string{"us-east-1", "us-east-2", "us-west-1", "us-west-2", "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
		"ap-southeast-1", "ap-southeast-2", "ca-central-1", "eu-central-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1", "sa-east-1"}
	s := controlsFixture()
	a := &s.Accounts[0]
	proto := *east(s)
	s.Regions = regions
	a.Regions = nil
	refs := []string{detection.RefRootUsage, detection.RefAPIWithoutMFA}
	for _, ctl := range detection.CISControls() {
		refs = append(refs, ctl.RefPattern)
	}
	for _, name := range regions {
		r := proto
		r.Name = name
		r.Logs = &snapshot.LogsData{LogGroups: proto.Logs.LogGroups}
		r.CloudWatch = &snapshot.CloudWatchData{}
		for i := 0; i < filtersPerRegion; i++ {
			pattern := fmt.Sprintf(`{ $.eventName = "Op%d" && $.userIdentity.type = "IAMUser" }`, i)
			if i < len(refs) {
				pattern = refs[i]
			}
			f := filterFixture(fmt.Sprintf("f%04d", i), pattern, fmt.Sprintf("M%04d", i))
			r.Logs.MetricFilters = append(r.Logs.MetricFilters, f)
			r.CloudWatch.Alarms = append(r.CloudWatch.Alarms, cisAlarmFixture(fmt.Sprintf("a%04d", i), fmt.Sprintf("M%04d", i)))
		}
		r.EventBridge = &snapshot.EventBridgeData{BusPolicyRead: true}
		for i := 0; i < rulesPerRegion; i++ {
			r.EventBridge.Rules = append(r.EventBridge.Rules, snapshot.Rule{
				Name: fmt.Sprintf("r%04d", i), ARN: fmt.Sprintf("arn:aws:events:%s:111111111111:rule/r%04d", name, i), State: "ENABLED",
				EventPattern: fmt.Sprintf(`{"source":["aws.ec2"],"detail-type":["AWS API Call via CloudTrail"],"detail":{"eventName":["Op%d","CreateVpc"]}}`, i),
				Targets:      []snapshot.Target{{ID: "1", ARN: ctlTopic}},
			})
		}
		a.Regions = append(a.Regions, r)
	}
	return s
}

// BenchmarkChecksOnLargeSnapshot: every check over 17 regions × 200 filters and alarms × 100
// rules (3,400 filters, 1,700 rules). Run: go test -run '^$' -bench ChecksOnLargeSnapshot ./checks/
func BenchmarkChecksOnLargeSnapshot(b *testing.B) {
	s := largeSnapshot(200, 100)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fs := Run(s, All(), Options{})
		if len(fs) == 0 {
			b.Fatal("no findings")
		}
	}
}
