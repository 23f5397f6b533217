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

// TestCatalogueNoiseOncePerPattern: an event pattern that reads no value holding the account
// or region is judged against the catalogue once, whatever the accounts and regions it is
// asked for, and its calls are those of judging it in each; one that reads the account is
// judged per account, and matches only in the account it names.
func TestCatalogueNoiseOncePerPattern(t *testing.T) {
	sep := "\x00"
	want := []string{"account", "region", "detail" + sep + "awsRegion", "detail" + sep + "recipientAccountId",
		"detail" + sep + "userIdentity" + sep + "arn", "detail" + sep + "userIdentity" + sep + "accountId"}
	got := catalogueVariant()
	for _, p := range want {
		if !got[p] {
			t.Errorf("variant paths %q lack %q", mapKeys(got), p)
		}
	}
	if len(got) != len(want) {
		t.Errorf("variant paths %q, want %q", mapKeys(got), want)
	}

	accounts := []string{"", "111111111111", "222222222222", "500000000007"}
	regions := []string{"", "us-east-1", "eu-west-1", "ap-northeast-2"}
	invariant := []string{
		`{"source":["aws.ec2"],"detail":{"eventName":[{"wildcard":"*Route*"}]}}`,
		`{"source":[{"prefix":"aws."}],"detail":{"eventName":[{"prefix":"Delete"}],"userIdentity":{"type":["IAMUser"]}}}`,
		`{"detail":{"eventSource":["cloudtrail.amazonaws.com"],"$or":[{"eventName":[{"prefix":"Get"}]},{"readOnly":[false]}]}}`,
		`{"source":["aws.cloudtrail"`, // does not parse: the same error everywhere
	}
	for _, pattern := range invariant {
		if !eventPatternInvariant(pattern) {
			t.Fatalf("%s: judged variant", pattern)
		}
		before := noiseEvaluations.Load()
		var first []string
		for i, a := range accounts {
			for _, r := range regions {
				calls, err := CatalogueNoise(EventPattern, pattern, a, r)
				direct, derr := catalogueNoise(EventPattern, pattern, orDefault(a, catalogueAccount), orDefault(r, catalogueRegion))
				if (err == nil) != (derr == nil) || !slices.Equal(callNames(calls), callNames(direct)) {
					t.Fatalf("%s in %s/%s: memo %d calls (%v), judged there %d (%v)", pattern, a, r, len(calls), err, len(direct), derr)
				}
				if i == 0 && r == "" {
					first = callNames(calls)
				} else if !slices.Equal(first, callNames(calls)) {
					t.Fatalf("%s: %s/%s differs", pattern, a, r)
				}
			}
		}
		if n := noiseEvaluations.Load() - before; n > 1 {
			t.Errorf("%s: judged %d times over %d accounts x %d regions, want once", pattern, n, len(accounts), len(regions))
		}
	}

	variant := []string{
		`{"account":["222222222222"],"source":["aws.ec2"],"detail":{"eventName":[{"prefix":"Delete"}]}}`,
		`{"region":["eu-west-1"],"source":["aws.ec2"],"detail":{"eventName":[{"prefix":"Delete"}]}}`,
		`{"source":["aws.ec2"],"detail":{"userIdentity":{"arn":[{"prefix":"arn:aws:iam::222222222222:"}]},"eventName":[{"prefix":"Delete"}]}}`,
		`{"source":["aws.ec2"],"detail":{"$or":[{"awsRegion":["eu-west-1"]},{"recipientAccountId":["222222222222"]}],"eventName":[{"prefix":"Delete"}]}}`,
	}
	for _, pattern := range variant {
		if eventPatternInvariant(pattern) {
			t.Fatalf("%s: judged invariant", pattern)
		}
		for _, a := range accounts {
			for _, r := range regions {
				calls, err := CatalogueNoise(EventPattern, pattern, a, r)
				if err != nil {
					t.Fatal(err)
				}
				direct, _ := catalogueNoise(EventPattern, pattern, orDefault(a, catalogueAccount), orDefault(r, catalogueRegion))
				if !slices.Equal(callNames(calls), callNames(direct)) {
					t.Fatalf("%s in %s/%s: memo %d calls, judged there %d", pattern, a, r, len(calls), len(direct))
				}
			}
		}
		named, _ := CatalogueNoise(EventPattern, pattern, "222222222222", "eu-west-1")
		other, _ := CatalogueNoise(EventPattern, pattern, "111111111111", "us-east-1")
		if len(named) == 0 || len(other) != 0 {
			t.Errorf("%s: %d calls in the account and region it names, %d elsewhere; want some, none", pattern, len(named), len(other))
		}
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func mapKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, strings.ReplaceAll(k, "\x00", "."))
	}
	slices.Sort(out)
	return out
}
