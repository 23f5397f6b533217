package detection

import (
	"encoding/json"
	"strings"
	"testing"
)

type patternCase struct {
	name    string
	pattern string
	detects bool
}

func checkFilter(t *testing.T, d Detection, cases []patternCase) {
	t.Helper()
	checkVerdicts(t, cases, "EvaluateFilterPattern", d.EvaluateFilterPattern, func(t *testing.T, v Verdict) {
		if v.Detects != (len(v.MissedPositives) == 0 && len(v.MatchedNegatives) == 0) {
			t.Errorf("inconsistent verdict %+v", v)
		}
	})
}

func checkEvent(t *testing.T, d Detection, cases []patternCase) {
	t.Helper()
	checkVerdicts(t, cases, "EvaluateEventPattern", d.EvaluateEventPattern, nil)
}

// checkVerdicts runs each case through evaluate (named for messages) and checks its Detects,
// then whatever more (when not nil) asks of the verdict.
func checkVerdicts(t *testing.T, cases []patternCase, name string, evaluate func(string) (Verdict, error), more func(*testing.T, Verdict)) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, err := evaluate(tc.pattern)
			if err != nil {
				t.Fatalf("%s(%q): %v", name, tc.pattern, err)
			}
			if v.Detects != tc.detects {
				t.Errorf("%s: Detects = %v, want %v (%s)", tc.pattern, v.Detects, tc.detects, v)
			}
			if more != nil {
				more(t, v)
			}
		})
	}
}

func TestRootUsage(t *testing.T) {
	checkFilter(t, RootUsage(), []patternCase{
		{"CIS reference", RefRootUsage, true},
		{"reordered operands", `{ $.eventType != "AwsServiceEvent" && $.userIdentity.invokedBy NOT EXISTS && $.userIdentity.type = "Root" }`, true},
		{"redundant parentheses", `{ ($.userIdentity.type = "Root") && ($.userIdentity.invokedBy NOT EXISTS) && ($.eventType != "AwsServiceEvent") }`, true},
		{"nested parentheses", `{ (($.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS)) && ($.eventType != "AwsServiceEvent") }`, true},
		{"no spaces", `{$.userIdentity.type="Root"&&$.userIdentity.invokedBy NOT EXISTS&&$.eventType!="AwsServiceEvent"}`, true},
		{"newlines and tabs", "{\n\t$.userIdentity.type = \"Root\"\n\t&& $.userIdentity.invokedBy NOT EXISTS\n\t&& $.eventType != \"AwsServiceEvent\"\n}", true},
		{"lower-case keywords", `{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy not exists && $.eventType != "AwsServiceEvent" }`, true},
		{"unquoted Root", `{ $.userIdentity.type = Root && $.userIdentity.invokedBy NOT EXISTS && $.eventType != AwsServiceEvent }`, true},
		{"near miss: lower-case root", `{ $.userIdentity.type = "root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`, false},
		{"near miss: invokedBy EXISTS", `{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy EXISTS && $.eventType != "AwsServiceEvent" }`, false},
		{"near miss: || instead of &&", `{ $.userIdentity.type = "Root" || $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`, false},
		{"incomplete: type only", `{ $.userIdentity.type = "Root" }`, false},
		{"incomplete: no eventType clause", `{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }`, false},
		{"wildcard matches AssumedRoot", `{ $.userIdentity.type = "*Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`, false},
		{"text search", `Root`, false},
		{"match everything", ``, false},
	})
	// The Trivy typo does not even parse: an ERROR, not a PASS.
	if _, err := RootUsage().EvaluateFilterPattern(`{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && &.eventType != "AwsServiceEvent" }`); err == nil {
		t.Error("typo &.eventType: want parse error")
	}
}

func TestAPIWithoutMFA(t *testing.T) {
	checkFilter(t, APIWithoutMFA(), []patternCase{
		{"reference (AWS CloudTrail guide)", RefAPIWithoutMFA, true},
		{"parenthesised", `{ ($.userIdentity.sessionContext.attributes.mfaAuthenticated != "true") }`, true},
		{"= false equivalent on positives", `{ $.userIdentity.sessionContext.attributes.mfaAuthenticated = "false" }`, true},
		{"CIS 1.2 variant with eventName exclusion", `{ ($.eventName != "ConsoleLogin") && ($.userIdentity.sessionContext.attributes.mfaAuthenticated != "true") }`, true},
		{"near miss: != \"false\"", `{ $.userIdentity.sessionContext.attributes.mfaAuthenticated != "false" }`, false},
		{"near miss: True capitalised", `{ $.userIdentity.sessionContext.attributes.mfaAuthenticated != "True" }`, false},
		{"near miss: boolean test", `{ $.userIdentity.sessionContext.attributes.mfaAuthenticated IS FALSE }`, false},
		{"near miss: wrong path", `{ $.userIdentity.attributes.mfaAuthenticated != "true" }`, false},
	})
}

func TestConsoleSigninWithoutMFA(t *testing.T) {
	checkFilter(t, ConsoleSigninWithoutMFA(), []patternCase{
		{"AWS guide = No", `{ $.eventName = "ConsoleLogin" && $.additionalEventData.MFAUsed = "No" }`, true},
		{"CIS != Yes", RefConsoleSigninWithoutMFA, true},
		{"CIS reordered, no parentheses", `{ $.additionalEventData.MFAUsed != "Yes" && $.eventName = "ConsoleLogin" }`, true},
		{"SSO variant", `{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }`, true},
		{"SSO variant no spaces", `{($.eventName="ConsoleLogin")&&($.additionalEventData.MFAUsed!="Yes")&&($.userIdentity.type="IAMUser")&&($.responseElements.ConsoleLogin="Success")}`, true},
		{"wild variant: not AWSReservedSSO", `{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.arn != "*AWSReservedSSO*") }`, true},
		{"wild variant: SamlProviderArn NOT EXISTS", `{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.additionalEventData.SamlProviderArn NOT EXISTS) }`, true},
		{"near miss: MFAUsed = Yes", `{ $.eventName = "ConsoleLogin" && $.additionalEventData.MFAUsed = "Yes" }`, false},
		{"equivalent on the corpus: MFAUsed only", `{ $.additionalEventData.MFAUsed != "Yes" }`, true},
		{"near miss: lower-case no", `{ $.eventName = "ConsoleLogin" && $.additionalEventData.MFAUsed = "no" }`, false},
		{"near miss: only ConsoleLogin", `{ $.eventName = "ConsoleLogin" }`, false},
	})
}

func TestSSHLogin(t *testing.T) {
	checkFilter(t, SSHLogin(), []patternCase{
		{"auth.log design phrase", RefSSHLogin, true},
		{"terms", `Accepted publickey`, true},
		{"terms reordered", `publickey Accepted sshd`, true},
		{"delimited", `[..., accepted = Accepted, method = publickey, for = for, user, from = from, ip, port = port, ...]`, true},
		{"broader but acceptable: Accepted", `Accepted`, true},
		{"near miss: lower case", `"accepted publickey for"`, false},
		{"near miss: password phrase", `"Accepted password for"`, false},
		{"too broad: sshd", `sshd`, false},
		{"OR with failures", `?"Accepted publickey" ?"Failed password"`, false},
	})
}

func TestStopLogging(t *testing.T) {
	d := StopLogging(Trail{Name: "org-trail", Region: "eu-west-1", Account: "210987654321"})
	checkEvent(t, d, []patternCase{
		{"console-generated rule", `{"source":["aws.cloudtrail"],"detail-type":["AWS API Call via CloudTrail"],"detail":{"eventSource":["cloudtrail.amazonaws.com"],"eventName":["StopLogging"]}}`, true},
		{"keys reordered, region pinned", `{"detail":{"eventName":["StopLogging"],"eventSource":["cloudtrail.amazonaws.com"]},"region":["eu-west-1"],"detail-type":["AWS API Call via CloudTrail"],"source":["aws.cloudtrail"]}`, true},
		{"trail by name and ARN", `{"source":["aws.cloudtrail"],"detail":{"eventName":["StopLogging"],"requestParameters":{"name":["org-trail","arn:aws:cloudtrail:eu-west-1:210987654321:trail/org-trail"]}}}`, true},
		{"trail by suffix", `{"source":["aws.cloudtrail"],"detail":{"eventName":["StopLogging"],"requestParameters":{"name":[{"suffix":"org-trail"}]}}}`, true},
		{"misses ARN spelling", `{"source":["aws.cloudtrail"],"detail":{"eventName":["StopLogging"],"requestParameters":{"name":["org-trail"]}}}`, false},
		{"no source: custom events trigger it", `{"detail-type":["AWS API Call via CloudTrail"],"detail":{"eventName":["StopLogging"]}}`, false},
		{"also StartLogging", `{"source":["aws.cloudtrail"],"detail":{"eventName":["StopLogging","StartLogging"]}}`, false},
		{"wrong region", `{"source":["aws.cloudtrail"],"region":["us-east-1"],"detail":{"eventName":["StopLogging"]}}`, false},
		{"prefix Stop", `{"source":["aws.cloudtrail"],"detail":{"eventName":[{"prefix":"Stop"}]}}`, true},
		{"all CloudTrail API calls", `{"source":["aws.cloudtrail"]}`, false},
		{"case-insensitive eventName", `{"source":["aws.cloudtrail"],"detail":{"eventName":[{"equals-ignore-case":"stoplogging"}]}}`, true},
	})
}

func TestRootConsoleSignin(t *testing.T) {
	d := RootConsoleSignin("us-west-2", "")
	checkEvent(t, d, []patternCase{
		{"console rule, all sign-ins", `{"source":["aws.signin"],"detail-type":["AWS Console Sign In via CloudTrail"]}`, true},
		{"old spelling", `{"source":["aws.signin"],"detail-type":["AWS Console Signin via CloudTrail"]}`, true},
		{"both spellings", `{"source":["aws.signin"],"detail-type":["AWS Console Sign In via CloudTrail","AWS Console Signin via CloudTrail"]}`, true},
		{"narrowed to root by ARN", `{"source":["aws.signin"],"detail-type":["AWS Console Sign In via CloudTrail"],"detail":{"userIdentity":{"arn":["arn:aws:iam::123456789012:root"]}}}`, true},
		{"narrowed to root by type and $or", `{"source":["aws.signin"],"detail":{"eventName":["ConsoleLogin"],"$or":[{"userIdentity":{"type":["Root"]}},{"userIdentity":{"userName":["break-glass"]}}]}}`, true},
		{"narrowed to an IAM user only", `{"source":["aws.signin"],"detail":{"userIdentity":{"type":["IAMUser"]}}}`, false},
		{"no source", `{"detail-type":["AWS Console Sign In via CloudTrail"]}`, false},
		{"other region pinned", `{"source":["aws.signin"],"region":["us-east-1"]}`, false},
		{"wrong source spelling", `{"source":["aws.sign-in"]}`, false},
	})
}

func TestEC2StateChange(t *testing.T) {
	d := EC2StateChange("ap-northeast-2", "")
	checkEvent(t, d, []patternCase{
		{"state-change notification rule", `{"source":["aws.ec2"],"detail-type":["EC2 Instance State-change Notification"],"detail":{"state":["running","stopped","terminated"]}}`, true},
		{"all states", `{"source":["aws.ec2"],"detail-type":["EC2 Instance State-change Notification"]}`, true},
		{"anything-but pending", `{"source":["aws.ec2"],"detail-type":["EC2 Instance State-change Notification"],"detail":{"state":[{"anything-but":["pending","stopping","shutting-down"]}]}}`, true},
		{"missing terminated", `{"source":["aws.ec2"],"detail":{"state":["running","stopped"]}}`, false},
		{"no source", `{"detail-type":["EC2 Instance State-change Notification"]}`, false},
		{"all EC2 events", `{"source":["aws.ec2"]}`, true},
	})
}

func TestWrongLanguage(t *testing.T) {
	if _, err := RootUsage().EvaluateEventPattern(`{"source":["aws.signin"]}`); err == nil {
		t.Error("event pattern on a filter-pattern detection: want error")
	}
	if _, err := EC2StateChange("us-east-1", "").EvaluateFilterPattern(`ERROR`); err == nil {
		t.Error("filter pattern on an event-pattern detection: want error")
	}
}

func TestMalformedPatternIsError(t *testing.T) {
	if _, err := RootUsage().EvaluateFilterPattern(`{ $.userIdentity.type = }`); err == nil {
		t.Error("want parse error")
	}
	if _, err := StopLogging(DefaultTrail).EvaluateEventPattern(`{"source":"aws.cloudtrail"}`); err == nil {
		t.Error("want parse error")
	}
}

func TestVerdictNamesCases(t *testing.T) {
	v, err := RootUsage().EvaluateFilterPattern(`{ $.userIdentity.type = "Root" }`)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.MatchedNegatives) != 2 || !strings.Contains(v.String(), "invokedBy") {
		t.Errorf("verdict = %s", v)
	}
	v, err = RootConsoleSignin("us-east-1", "").EvaluateEventPattern(`{"source":["aws.ec2"]}`)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.MissedPositives) != 1 || !strings.HasPrefix(v.MissedPositives[0], "one of: ") {
		t.Errorf("missed = %v", v.MissedPositives)
	}
}

// TestCorpusIsWellFormed keeps the corpus honest: every detection has cases, names are unique
// within a detection, JSON bodies parse, placeholders are all filled.
func TestCorpusIsWellFormed(t *testing.T) {
	for _, d := range All() {
		t.Run(d.ID, func(t *testing.T) {
			if len(d.Positives)+len(d.AnyOf) == 0 || len(d.Negatives) == 0 {
				t.Fatalf("needs positives and negatives")
			}
			seen := map[string]bool{}
			all := append(append([]Event{}, d.Positives...), d.Negatives...)
			for _, g := range d.AnyOf {
				all = append(all, g...)
			}
			for _, e := range all {
				if seen[e.Name] {
					t.Errorf("duplicate case name %q", e.Name)
				}
				seen[e.Name] = true
				if strings.Contains(string(e.Body), "${") {
					t.Errorf("%s: unfilled placeholder", e.Name)
				}
				if d.Language == EventPattern || strings.HasPrefix(strings.TrimSpace(string(e.Body)), "{") {
					var v map[string]any
					if err := json.Unmarshal(e.Body, &v); err != nil {
						t.Errorf("%s: %v", e.Name, err)
					}
				}
			}
		})
	}
	if n := len(Corpus()); n < 30 {
		t.Errorf("Corpus() has %d events", n)
	}
}

// TestStopLoggingEscapesTrailValues: values land inside JSON strings.
func TestStopLoggingEscapesTrailValues(t *testing.T) {
	d := StopLogging(Trail{Name: `we"ird`, Region: "us-east-1"})
	v, err := d.EvaluateEventPattern(`{"source":["aws.cloudtrail"],"detail":{"eventName":["StopLogging"],"requestParameters":{"name":["we\"ird",{"suffix":"/we\"ird"}]}}}`)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Detects {
		t.Errorf("verdict: %s", v)
	}
}
