package detection

import (
	"slices"
	"strings"
	"testing"
)

func callNames(calls []CatalogueCall) []string {
	out := make([]string, len(calls))
	for i, c := range calls {
		out[i] = c.String()
	}
	return out
}

// TestCatalogueNoise names the cases the corpus cannot: wildcards that sweep in calls no
// negative lists, and patterns that sweep in only what some control watches.
func TestCatalogueNoise(t *testing.T) {
	tests := []struct {
		name     string
		lang     Language
		pattern  string
		want     []string // calls that must be among the noise
		wantNone bool
	}{
		{name: "filter *Trail also fires on cloudtrail's read GetTrail", lang: FilterPattern, pattern: `{ $.eventName = *Trail }`, want: []string{"cloudtrail:GetTrail"}},
		{name: "filter Delete* without an event source", lang: FilterPattern, pattern: `{ $.eventName = Delete* }`, want: []string{"s3:DeleteBucket", "iam:DeleteUser", "ec2:DeleteSnapshot"}},
		{name: "filter reference CloudTrail pattern is quiet", lang: FilterPattern,
			pattern: `{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || ($.eventName=DeleteTrail) || ($.eventName=StartLogging) || ($.eventName=StopLogging)}`, wantNone: true},
		// Homonyms of watched calls are what the reference patterns themselves match.
		{name: "filter Security Hub IAM pattern is quiet although autoscaling has a DeletePolicy", lang: FilterPattern,
			pattern: `{($.eventName=DeleteGroupPolicy) || ($.eventName=DeletePolicy) || ($.eventName=CreatePolicy)}`, wantNone: true},
		{name: "filter Security Hub route table pattern is quiet although apigateway has a CreateRoute", lang: FilterPattern,
			pattern: `{($.eventName=CreateRoute) || ($.eventName=CreateRouteTable) || ($.eventName=ReplaceRoute) || ($.eventName=DeleteRoute)}`, wantNone: true},
		{name: "filter Create* sweeps in unwatched writes", lang: FilterPattern, pattern: `{ $.eventName = Create* }`, want: []string{"s3:CreateBucket", "iam:CreateUser"}},
		{name: "filter on every network family is quiet", lang: FilterPattern,
			pattern: `{ ($.eventSource = ec2.amazonaws.com) && (($.eventName = CreateVpc) || ($.eventName = CreateRoute) || ($.eventName = CreateSecurityGroup)) }`, wantNone: true},
		{name: "event pattern wildcard on ec2 *Route* also fires on DescribeRouteTables", lang: EventPattern,
			pattern: `{"source":["aws.ec2"],"detail":{"eventName":[{"wildcard":"*Route*"}]}}`, want: []string{"ec2:DescribeRouteTables"}},
		{name: "event pattern with an exact list is quiet", lang: EventPattern,
			pattern: `{"source":["aws.cloudtrail"],"detail":{"eventName":["StopLogging"]}}`, wantNone: true},
		{name: "event pattern prefix Stop on cloudtrail catches another Stop call", lang: EventPattern,
			pattern: `{"source":["aws.cloudtrail"],"detail":{"eventName":[{"prefix":"Stop"}]}}`, want: []string{"cloudtrail:StopEventDataStoreIngestion"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls, err := CatalogueNoise(tt.lang, tt.pattern, "", "")
			if err != nil {
				t.Fatal(err)
			}
			got := callNames(calls)
			if tt.wantNone && len(got) > 0 {
				t.Fatalf("noise %v, want none", got[:min(5, len(got))])
			}
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("noise lacks %s (got %d calls, first %v)", w, len(got), got[:min(5, len(got))])
				}
			}
			for i := 1; i < len(calls); i++ {
				if calls[i].ReadOnly && !calls[i-1].ReadOnly {
					t.Fatalf("read-only calls are not first: %v", got)
				}
			}
		})
	}
	if _, err := CatalogueNoise(FilterPattern, `{ $.x = `, "", ""); err == nil {
		t.Error("a pattern that does not parse gave no error")
	}
	if !Watched("ec2.amazonaws.com", "CreateVpc") || Watched("ec2.amazonaws.com", "DescribeVpcs") {
		t.Error("Watched: CreateVpc is watched by the VPC control, DescribeVpcs by none")
	}
	if strings.Contains(strings.Join(callNames(mustNoise(t, `{ $.eventName = Create* }`)), " "), "iam:CreatePolicy ") {
		t.Error("iam:CreatePolicy is watched (IAM policy changes) and must not be noise")
	}
}

func mustNoise(t *testing.T, p string) []CatalogueCall {
	t.Helper()
	c, err := CatalogueNoise(FilterPattern, p, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func BenchmarkCatalogueNoiseFilter(b *testing.B) {
	unwatched()
	for i := 0; b.Loop(); i++ {
		if _, err := catalogueNoise(FilterPattern, `{ $.eventName = *Trail }`, "", ""); err != nil {
			b.Fatal(err)
		}
	}
}
