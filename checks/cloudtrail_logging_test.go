package checks

import (
	"strings"
	"testing"
	"time"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

const acct = "111122223333"

func stoppedAt() *time.Time {
	t := time.Date(2026, 11, 20, 3, 12, 0, 0, time.UTC)
	return &t
}

// trailFixture is a logging multi-region trail homed in us-east-1 recording everything; cases
// bend one property at a time.
func trailFixture(mut ...func(*snapshot.Trail)) snapshot.Trail {
	t := snapshot.Trail{
		Name: "main", ARN: "arn:aws:cloudtrail:us-east-1:" + acct + ":trail/main", HomeRegion: "us-east-1",
		IsMultiRegion:              true,
		IncludeGlobalServiceEvents: func() *bool { b := true; return &b }(),
		Status:                     &snapshot.TrailStatus{IsLogging: true},
		Selectors:                  &snapshot.EventSelectors{Classic: []snapshot.ClassicSelector{{ReadWriteType: "All", IncludeManagementEvents: true}}},
	}
	for _, m := range mut {
		m(&t)
	}
	return t
}

// oneRegion builds a snapshot of one account whose region sees the given trails.
func oneRegion(region string, trails ...snapshot.Trail) *snapshot.Snapshot {
	a := snapshot.Account{ID: acct, Trails: trails}
	view := &snapshot.CloudTrailView{TrailARNs: []string{}}
	for _, t := range trails {
		view.TrailARNs = append(view.TrailARNs, t.ARN)
	}
	a.Regions = []snapshot.Region{{Name: region, CloudTrail: view}}
	return &snapshot.Snapshot{SchemaVersion: 1, Regions: []string{region}, Accounts: []snapshot.Account{a}}
}

func advanced(sels ...[]snapshot.FieldSelector) *snapshot.EventSelectors {
	out := &snapshot.EventSelectors{}
	for _, fs := range sels {
		out.Advanced = append(out.Advanced, snapshot.AdvancedSelector{FieldSelectors: fs})
	}
	return out
}

func fsel(field string, op string, vals ...string) snapshot.FieldSelector {
	f := snapshot.FieldSelector{Field: field}
	switch op {
	case "=":
		f.Equals = vals
	case "!=":
		f.NotEquals = vals
	case "startsWith":
		f.StartsWith = vals
	case "notStartsWith":
		f.NotStartsWith = vals
	}
	return f
}

func TestCloudTrailLogging(t *testing.T) {
	mgmt := fsel("eventCategory", "=", "Management")
	cases := []struct {
		name     string
		snap     *snapshot.Snapshot
		status   Status
		contains string
	}{
		{"multi-region trail homed in the region, logging everything", oneRegion("us-east-1", trailFixture()), Pass, "is logging all management events"},
		{"multi-region trail homed elsewhere covers the region", oneRegion("eu-west-1", trailFixture()), Pass, "trail main (multi-region, home us-east-1)"},
		{"organization trail seen from a member account", oneRegion("eu-west-1", trailFixture(func(t *snapshot.Trail) {
			t.ARN = "arn:aws:cloudtrail:us-east-1:999999999999:trail/org"
			t.Name, t.IsOrganizationTrail = "org", true
		})), Pass, "(organization, home us-east-1)"},
		{"default selectors (none returned) record everything", oneRegion("us-east-1", trailFixture(func(t *snapshot.Trail) {
			t.Selectors = &snapshot.EventSelectors{Default: true}
		})), Pass, "is logging"},
		{"advanced selector for management events, read and write", oneRegion("us-east-1", trailFixture(func(t *snapshot.Trail) {
			t.Selectors = advanced([]snapshot.FieldSelector{mgmt})
		})), Pass, "is logging all management events"},
		{"advanced selectors combine: read-only plus write-only", oneRegion("us-east-1", trailFixture(func(t *snapshot.Trail) {
			t.Selectors = advanced(
				[]snapshot.FieldSelector{mgmt, fsel("readOnly", "=", "true")},
				[]snapshot.FieldSelector{mgmt, fsel("readOnly", "=", "false")})
		})), Pass, "is logging all management events"},
		{"classic selectors combine: ReadOnly plus WriteOnly", oneRegion("us-east-1", trailFixture(func(t *snapshot.Trail) {
			t.Selectors = &snapshot.EventSelectors{Classic: []snapshot.ClassicSelector{
				{ReadWriteType: "ReadOnly", IncludeManagementEvents: true}, {ReadWriteType: "WriteOnly", IncludeManagementEvents: true}}}
		})), Pass, "is logging"},
		{"one of two trails passes", oneRegion("us-east-1", trailFixture(func(t *snapshot.Trail) { t.Status.IsLogging = false }),
			trailFixture(func(t *snapshot.Trail) { t.Name, t.ARN = "second", strings.Replace(t.ARN, "main", "second", 1) })), Pass, "trail second"},

		{"no trail at all", oneRegion("us-east-1"), Fail, "no trail covers us-east-1"},
		{"single-region trail homed in another region does not cover", oneRegion("eu-west-1", trailFixture(func(t *snapshot.Trail) {
			t.IsMultiRegion = false
		})), Fail, "no trail covers eu-west-1"},
		{"stopped trail", oneRegion("us-east-1", trailFixture(func(t *snapshot.Trail) {
			t.Status = &snapshot.TrailStatus{IsLogging: false, StopLoggingTime: stoppedAt()}
		})), Fail, "is not logging (StopLogging at 2026-11-20T03:12:00Z)"},
		{"write-only classic selector", oneRegion("us-east-1", trailFixture(func(t *snapshot.Trail) {
			t.Selectors.Classic[0].ReadWriteType = "WriteOnly"
		})), Fail, "records write-only management events"},
		{"read-only advanced selector", oneRegion("us-east-1", trailFixture(func(t *snapshot.Trail) {
			t.Selectors = advanced([]snapshot.FieldSelector{mgmt, fsel("readOnly", "=", "true")})
		})), Fail, "records read-only management events"},
		{"classic selector excluding a management event source", oneRegion("us-east-1", trailFixture(func(t *snapshot.Trail) {
			t.Selectors.Classic[0].ExcludeManagementEventSources = []string{"kms.amazonaws.com"}
		})), Fail, "does not record all management events from kms.amazonaws.com"},
		{"advanced selector excluding a source with NotEquals", oneRegion("us-east-1", trailFixture(func(t *snapshot.Trail) {
			t.Selectors = advanced([]snapshot.FieldSelector{mgmt, fsel("eventSource", "!=", "cloudtrail.amazonaws.com")})
		})), Fail, "from cloudtrail.amazonaws.com"},
		{"advanced selector for data events only", oneRegion("us-east-1", trailFixture(func(t *snapshot.Trail) {
			t.Selectors = advanced([]snapshot.FieldSelector{fsel("eventCategory", "=", "Data"), fsel("resources.type", "=", "AWS::S3::Object")})
		})), Fail, "records no management events"},
		{"classic selector with management events off", oneRegion("us-east-1", trailFixture(func(t *snapshot.Trail) {
			t.Selectors.Classic[0].IncludeManagementEvents = false
		})), Fail, "records no management events"},
		{"advanced selector filtering out a principal", oneRegion("us-east-1", trailFixture(func(t *snapshot.Trail) {
			t.Selectors = advanced([]snapshot.FieldSelector{mgmt, fsel("userIdentity.arn", "notStartsWith", "arn:aws:iam::111122223333:root")})
		})), Fail, "does not record all management events"},
		{"delivery error to S3", oneRegion("us-east-1", trailFixture(func(t *snapshot.Trail) {
			t.S3BucketName, t.Status.LatestDeliveryError = "logs", "AccessDenied"
		})), Fail, "cannot deliver to S3 bucket logs: AccessDenied"},

		{"DescribeTrails denied", func() *snapshot.Snapshot {
			s := oneRegion("us-east-1")
			s.Accounts[0].Regions[0].CloudTrail.Error = &snapshot.ReadError{Operation: "cloudtrail:DescribeTrails", Code: "AccessDeniedException", Message: "denied"}
			return s
		}(), Error, "cloudtrail:DescribeTrails: AccessDeniedException"},
		{"CloudTrail not collected", func() *snapshot.Snapshot {
			s := oneRegion("us-east-1")
			s.Accounts[0].Regions[0].CloudTrail = nil
			return s
		}(), Error, "CloudTrail was not collected"},
		{"trail status unreadable is ERROR, not PASS", oneRegion("us-east-1", trailFixture(func(t *snapshot.Trail) {
			t.Status, t.StatusError = nil, &snapshot.ReadError{Operation: "cloudtrail:GetTrailStatus", Code: "ThrottlingException", Message: "Rate exceeded"}
		})), Error, "could not read its status"},
		{"selectors unreadable is ERROR", oneRegion("us-east-1", trailFixture(func(t *snapshot.Trail) {
			t.Selectors, t.SelectorsError = nil, &snapshot.ReadError{Operation: "cloudtrail:GetEventSelectors", Message: "timeout"}
		})), Error, "could not read its event selectors"},
		{"unreadable trail beside a stopped one is ERROR", oneRegion("us-east-1",
			trailFixture(func(t *snapshot.Trail) { t.Status.IsLogging = false }),
			trailFixture(func(t *snapshot.Trail) {
				t.Name, t.ARN = "second", strings.Replace(t.ARN, "main", "second", 1)
				t.Status, t.StatusError = nil, &snapshot.ReadError{Operation: "cloudtrail:GetTrailStatus", Message: "denied"}
			})), Error, "is not logging"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := Run(tc.snap, []*Check{CloudTrailLogging()}, Options{})
			if len(fs) != 1 {
				t.Fatalf("got %d findings, want 1 per account and region: %+v", len(fs), fs)
			}
			f := fs[0]
			if f.Status != tc.status || !strings.Contains(f.Reasoning(), tc.contains) {
				t.Errorf("got %s %q\nwant %s containing %q", f.Status, f.Message, tc.status, tc.contains)
			}
			if f.CheckID != "cloudtrail-logging" || f.Severity != Critical || f.Account != acct || f.Region != tc.snap.Regions[0] {
				t.Errorf("identity of finding wrong: %+v", f)
			}
			if f.Status == Fail && f.Fix == nil {
				t.Errorf("FAIL without a fix hint")
			}
		})
	}
}

func TestUnreadableAccountIsErrorForEveryCheck(t *testing.T) {
	s := &snapshot.Snapshot{SchemaVersion: 1, Accounts: []snapshot.Account{{ID: acct,
		Error: &snapshot.ReadError{Operation: "sts:AssumeRole", Code: "AccessDenied", Message: "not authorized"}}}}
	fs := Run(s, All(), Options{})
	if len(fs) != len(All()) {
		t.Fatalf("got %d findings, want one ERROR per check", len(fs))
	}
	for _, f := range fs {
		if f.Status != Error || !strings.Contains(f.Reasoning(), "sts:AssumeRole") {
			t.Errorf("%s: got %s %q", f.CheckID, f.Status, f.Message)
		}
	}
}

func TestSelect(t *testing.T) {
	if _, err := Select([]string{"cloudtrail-logging", "nope"}); err == nil || !strings.Contains(err.Error(), "unknown check id nope") {
		t.Errorf("Select with an unknown id: err = %v", err)
	}
	got, err := Select([]string{"cloudtrail-logging"})
	if err != nil || len(got) != 1 || got[0].ID != "cloudtrail-logging" {
		t.Errorf("Select(cloudtrail-logging) = %v, %v", got, err)
	}
}

// TestPartitions: in aws-cn and aws-us-gov the resources lookout names are ARNs of that
// partition, and global service events are judged in that partition's own region.
func TestPartitions(t *testing.T) {
	for _, tc := range []struct{ partition, region string }{{"aws", "us-east-1"}, {"aws-cn", "cn-north-1"}, {"aws-us-gov", "us-gov-west-1"}} {
		t.Run(tc.partition, func(t *testing.T) {
			excluded := false
			tr := trailFixture(func(tr *snapshot.Trail) {
				tr.ARN = "arn:" + tc.partition + ":cloudtrail:" + tc.region + ":" + acct + ":trail/main"
				tr.HomeRegion = tc.region
				tr.IncludeGlobalServiceEvents = &excluded
			})
			s := oneRegion(tc.region, tr)
			s.Accounts[0].Partition = tc.partition
			s.Accounts[0].Trails[0].Status.IsLogging = false
			fs := Run(s, []*Check{CloudTrailLogging(), ConsoleSigninRule()}, Options{SigninRegions: []string{tc.region}})
			for _, f := range fs {
				if !strings.HasPrefix(f.Resource, "arn:"+tc.partition+":") {
					t.Errorf("%s: resource %q is not in partition %s", f.CheckID, f.Resource, tc.partition)
				}
			}
			s.Accounts[0].Trails[0].Status.IsLogging = true
			f := Run(s, []*Check{CloudTrailLogging()}, Options{})[0]
			if f.Status != Fail || !strings.Contains(f.Reasoning(), "excludes global service events") {
				t.Errorf("trail without global events in %s: %s %s", tc.region, f.Status, f.Message)
			}
		})
	}
}
