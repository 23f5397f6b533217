package detection

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/lookout-audit/lookout/internal/filterpattern"
)

// cisExpect is what the tests know about each control independently of cis.go's tables: the
// service its positives come from and the patterns a careless author writes.
type cisExpect struct {
	// eventSource of every positive; "" for unauthorized-api-calls, whose positives span
	// services (then sources lists the allowed ones).
	eventSource string
	sources     []string
	// careless filter patterns: each must match at least one negative.
	careless []string
	// careless event patterns (EventBridge): each must match at least one negative.
	carelessEvent []string
	// notNoise filter patterns sweep in what another control watches, which is not noise:
	// each must detect.
	notNoise []string
}

var cisExpected = map[string]cisExpect{
	"unauthorized-api-calls": {
		sources: []string{"s3.amazonaws.com", "ec2.amazonaws.com", "kms.amazonaws.com"},
		careless: []string{
			`{ $.errorCode = "*" }`,
			`{ $.errorCode EXISTS }`,
			`{ ($.errorCode = "*Operation") || ($.errorCode = "AccessDenied*") }`,
		},
		carelessEvent: []string{
			`{"source":[{"prefix":"aws."}],"detail":{"errorCode":[{"exists":true}]}}`,
		},
	},
	"iam-policy-changes": {
		eventSource: "iam.amazonaws.com",
		careless: []string{
			`{ $.eventSource = "iam.amazonaws.com" }`,
			`{ $.eventName = "*Policy*" }`,
			`{ ($.eventSource = iam.amazonaws.com) && ($.eventName = Create* || $.eventName = Delete* || $.eventName = Put* || $.eventName = Attach* || $.eventName = Detach*) }`,
		},
		carelessEvent: []string{`{"source":["aws.iam"]}`},
	},
	"cloudtrail-changes": {
		eventSource: "cloudtrail.amazonaws.com",
		careless:    []string{`{ $.eventSource = "cloudtrail.amazonaws.com" }`},
		carelessEvent: []string{`{"source":["aws.cloudtrail"]}`,
			`{"source":["aws.cloudtrail"],"detail":{"readOnly":[false]}}`},
	},
	"console-auth-failures": {
		eventSource:   "signin.amazonaws.com",
		careless:      []string{`{ $.eventName = ConsoleLogin }`, `{ $.eventSource = signin.amazonaws.com }`},
		carelessEvent: []string{`{"source":["aws.signin"]}`},
	},
	"kms-key-disable": {
		eventSource: "kms.amazonaws.com",
		careless: []string{
			`{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey*) || ($.eventName = ScheduleKeyDeletion)) }`,
			`{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || ($.eventName = *KeyDeletion)) }`,
			`{ $.eventSource = kms.amazonaws.com }`,
		},
		carelessEvent: []string{`{"source":["aws.kms"],"detail":{"eventName":[{"prefix":"Disable"},{"suffix":"KeyDeletion"}]}}`},
	},
	"s3-bucket-policy-changes": {
		eventSource: "s3.amazonaws.com",
		careless: []string{
			`{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucket*) || ($.eventName = DeleteBucket*)) }`,
			`{ $.eventName = "*Bucket*" }`,
		},
		carelessEvent: []string{`{"source":["aws.s3"],"detail":{"eventName":[{"prefix":"PutBucket"},{"prefix":"DeleteBucket"}]}}`},
	},
	"config-changes": {
		eventSource: "config.amazonaws.com",
		careless: []string{
			`{ $.eventSource = config.amazonaws.com }`,
			`{ ($.eventSource = config.amazonaws.com) && ($.eventName = Put* || $.eventName = Stop* || $.eventName = Delete*) }`,
			`{ $.eventName = "*ConfigurationRecorder*" || $.eventName = "*DeliveryChannel" }`,
		},
		carelessEvent: []string{`{"source":["aws.config"],"detail":{"eventName":[{"prefix":"Put"},{"prefix":"Stop"},{"prefix":"Delete"}]}}`},
	},
	"security-group-changes": {
		eventSource:   "ec2.amazonaws.com",
		careless:      []string{`{ $.eventName = *SecurityGroup* }`, `{ $.eventSource = ec2.amazonaws.com }`},
		carelessEvent: []string{`{"source":["aws.ec2"]}`},
	},
	"nacl-changes": {
		eventSource:   "ec2.amazonaws.com",
		careless:      []string{`{ $.eventName = *NetworkAcl* }`, `{ $.eventName = Create* || $.eventName = Delete* || $.eventName = Replace* }`},
		carelessEvent: []string{`{"source":["aws.ec2"],"detail":{"eventName":[{"wildcard":"*NetworkAcl*"}]}}`},
	},
	"network-gateway-changes": {
		eventSource:   "ec2.amazonaws.com",
		careless:      []string{`{ $.eventName = *Gateway* }`, `{ $.eventName = *CustomerGateway || $.eventName = *InternetGateway* }`},
		carelessEvent: []string{`{"source":["aws.ec2"],"detail":{"eventName":[{"wildcard":"*Gateway*"}]}}`},
	},
	"route-table-changes": {
		eventSource:   "ec2.amazonaws.com",
		careless:      []string{`{ $.eventName = *Route* }`, `{ ($.eventSource = ec2.amazonaws.com) && ($.readOnly IS FALSE) }`},
		carelessEvent: []string{`{"source":["aws.ec2"],"detail":{"eventName":[{"wildcard":"*Route*"}]}}`},
	},
	"vpc-changes": {
		eventSource:   "ec2.amazonaws.com",
		careless:      []string{`{ $.eventName = *Vpc* }`, `{ $.eventName = "*VpcPeering*" || $.eventName = CreateVpc || $.eventName = DeleteVpc || $.eventName = "*VpcAttribute" || $.eventName = "*ClassicLink*" }`},
		carelessEvent: []string{`{"source":["aws.ec2"],"detail":{"eventName":[{"wildcard":"*Vpc*"}]}}`},
	},
	"organizations-changes": {
		eventSource: "organizations.amazonaws.com",
		careless: []string{
			`{ $.eventSource = organizations.amazonaws.com }`,
		},
		// The CIS list without its eventSource clause also matches IAM's CreatePolicy and
		// DeletePolicy, which the IAM policy control watches: firing on another monitored
		// activity is not noise, so it detects.
		notNoise: []string{
			`{ ($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit") }`,
		},
		carelessEvent: []string{`{"source":["aws.organizations"]}`},
	},
}

var (
	refNameRE   = regexp.MustCompile(`\$\.eventName\s*=\s*"?([A-Za-z]+)"?`)
	refSourceRE = regexp.MustCompile(`\$\.eventSource\s*=\s*"?([a-z0-9.]+)"?`)
)

// refNames extracts the event names and the eventSource (if any) a list-style reference names.
func refNames(ref string) (names []string, source string) {
	for _, m := range refNameRE.FindAllStringSubmatch(ref, -1) {
		names = append(names, m[1])
	}
	if m := refSourceRE.FindStringSubmatch(ref); m != nil {
		source = m[1]
	}
	return names, source
}

// listControls are the controls whose reference is a list of event names.
func listControls() []CISControl {
	var out []CISControl
	for _, c := range CISControls() {
		if c.Key != "unauthorized-api-calls" && c.Key != "console-auth-failures" {
			out = append(out, c)
		}
	}
	return out
}

// withoutName removes the clause ($.eventName = name) and one adjacent || from ref.
func withoutName(t *testing.T, ref, name string) string {
	t.Helper()
	clause := `\(\$\.eventName\s*=\s*"?` + name + `"?\)`
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile(clause + `\s*\|\|\s*`),
		regexp.MustCompile(`\s*\|\|\s*` + clause),
	} {
		if loc := re.FindStringIndex(ref); loc != nil {
			return ref[:loc[0]] + ref[loc[1]:]
		}
	}
	t.Fatalf("no clause for %s in %s", name, ref)
	return ""
}

// equivalents rewrites a list-style reference in other spellings with the same meaning.
func equivalents(ref string) []patternCase {
	names, source := refNames(ref)
	rev := make([]string, len(names))
	for i, n := range names {
		rev[len(names)-1-i] = `$.eventName = "` + n + `"`
	}
	var pairs []string
	for i := 0; i < len(names); i += 2 {
		if i+1 < len(names) {
			pairs = append(pairs, fmt.Sprintf("( ($.eventName=%s)||($.eventName=%s) )", names[i+1], names[i]))
		} else {
			pairs = append(pairs, "(($.eventName="+names[i]+"))")
		}
	}
	reversed, grouped := strings.Join(rev, "\n  || "), strings.Join(pairs, "  ||  ")
	if source == "" {
		return []patternCase{
			{"reversed, quoted, unparenthesised, multi-line", "{\n  " + reversed + "\n}", true},
			{"pairs regrouped, no spaces inside clauses", "{" + grouped + "}", true},
		}
	}
	return []patternCase{
		{"reversed, source last, quoted", "{\n  ( " + reversed + " )\n  && $.eventSource = \"" + source + "\"\n}", true},
		{"pairs regrouped, no spaces inside clauses", "{($.eventSource=" + source + ")&&(" + grouped + ")}", true},
	}
}

func verdictOf(t *testing.T, d Detection, pattern string) Verdict {
	t.Helper()
	var (
		v   Verdict
		err error
	)
	if d.Language == FilterPattern {
		v, err = d.EvaluateFilterPattern(pattern)
	} else {
		v, err = d.EvaluateEventPattern(pattern)
	}
	if err != nil {
		t.Fatalf("%s: %v", pattern, err)
	}
	if v.Detects != (len(v.MissedPositives) == 0 && len(v.MatchedNegatives) == 0) {
		t.Fatalf("inconsistent verdict %+v", v)
	}
	return v
}

// eventNameOf returns the eventName of the positive called name (CloudTrail record or
// EventBridge envelope).
func eventNameOf(t *testing.T, d Detection, name string) string {
	t.Helper()
	for _, e := range append(append([]Event{}, d.Positives...), flatten(d.AnyOf)...) {
		if e.Name == name {
			return recordOf(t, e).EventName
		}
	}
	t.Fatalf("no positive %q", name)
	return ""
}

func flatten(groups [][]Event) []Event {
	var out []Event
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

type testRecord struct {
	EventSource        string `json:"eventSource"`
	EventName          string `json:"eventName"`
	AWSRegion          string `json:"awsRegion"`
	RecipientAccountID string `json:"recipientAccountId"`
	EventTime          string `json:"eventTime"`
	EventID            string `json:"eventID"`
	EventType          string `json:"eventType"`
	ErrorCode          string `json:"errorCode"`
	UserIdentity       *struct {
		Type      string `json:"type"`
		AccountID string `json:"accountId"`
	} `json:"userIdentity"`
}

type testEnvelope struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// recordOf decodes a CloudTrail record, or the detail of an EventBridge envelope.
func recordOf(t *testing.T, e Event) testRecord {
	t.Helper()
	var env testEnvelope
	body := e.Body
	if err := json.Unmarshal(body, &env); err == nil && env.Detail != nil {
		body = env.Detail
	}
	var r testRecord
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("%s: %v", e.Name, err)
	}
	return r
}

func TestCISControlsList(t *testing.T) {
	want := []string{"unauthorized-api-calls", "iam-policy-changes", "cloudtrail-changes", "console-auth-failures",
		"kms-key-disable", "s3-bucket-policy-changes", "config-changes", "security-group-changes", "nacl-changes",
		"network-gateway-changes", "route-table-changes", "vpc-changes", "organizations-changes"}
	var got []string
	for _, c := range CISControls() {
		got = append(got, c.Key)
		if c.Summary == "" || c.RefPattern == "" {
			t.Errorf("%s: empty Summary or RefPattern", c.Key)
		}
		wantDelivery := DeliveryRegional
		switch c.Key {
		case "iam-policy-changes", "organizations-changes":
			wantDelivery = DeliveryUSEast1
		case "console-auth-failures":
			wantDelivery = DeliverySignin
		}
		if c.Delivery != wantDelivery {
			t.Errorf("%s: Delivery %q, want %q", c.Key, c.Delivery, wantDelivery)
		}
		if _, err := filterpattern.Parse(c.RefPattern); err != nil {
			t.Errorf("%s: reference does not parse: %v", c.Key, err)
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("keys = %v\nwant   %v", got, want)
	}
	if len(cisExpected) != len(want) {
		t.Errorf("cisExpected has %d controls", len(cisExpected))
	}
}

func TestCISUnknownKeyPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("CISFilter(unknown): want panic")
		}
	}()
	CISFilter("root-usage")
}

// TestCISReferenceListsArePositives: the positives of a list-style control are exactly the
// reference's event names (each at least once), all from the control's eventSource.
func TestCISReferenceListsArePositives(t *testing.T) {
	for _, c := range listControls() {
		t.Run(c.Key, func(t *testing.T) {
			names, _ := refNames(c.RefPattern)
			d := CISFilter(c.Key)
			got := map[string]bool{}
			for _, e := range d.Positives {
				got[recordOf(t, e).EventName] = true
			}
			for _, n := range names {
				if !got[n] {
					t.Errorf("reference lists %s, no positive has it", n)
				}
				delete(got, n)
			}
			if len(got) > 0 {
				t.Errorf("positives the reference does not list: %v", got)
			}
		})
	}
}

func TestCISFilterPatterns(t *testing.T) {
	for _, c := range CISControls() {
		t.Run(c.Key, func(t *testing.T) {
			d := CISFilter(c.Key)
			exp := cisExpected[c.Key]

			// 1. The reference detects.
			if v := verdictOf(t, d, c.RefPattern); !v.Detects {
				t.Errorf("reference: %s", v)
			}

			// 2. Equivalent spellings detect.
			var eq []patternCase
			switch c.Key {
			case "unauthorized-api-calls":
				eq = []patternCase{
					{"reordered, unparenthesised, spaced", `{ $.errorCode = "AccessDenied*" || $.errorCode = "*UnauthorizedOperation" }`, true},
					{"nested parentheses, bare values", `{ ((($.errorCode = *UnauthorizedOperation)) || (($.errorCode = AccessDenied*))) }`, true},
					{"CIS v4.0+ (|| then && without parentheses)", `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") && ($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }`, true},
				}
			case "console-auth-failures":
				eq = []patternCase{
					{"reordered, quoted", `{ $.errorMessage = "Failed authentication" && $.eventName = "ConsoleLogin" }`, true},
					{"CIS spacing", `{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }`, true},
					{"Failure variant", `{ ($.eventName = "ConsoleLogin") && ($.responseElements.ConsoleLogin = "Failure") }`, true},
				}
			default:
				eq = equivalents(c.RefPattern)
			}
			for _, pc := range eq {
				if v := verdictOf(t, d, pc.pattern); !v.Detects {
					t.Errorf("%s: %s\n%s", pc.name, v, pc.pattern)
				}
			}

			// 3. A pattern missing one event name misses exactly that name's positives.
			if names, _ := refNames(c.RefPattern); c.Key != "console-auth-failures" {
				for _, n := range names {
					p := withoutName(t, c.RefPattern, n)
					v := verdictOf(t, d, p)
					if v.Detects || len(v.MatchedNegatives) > 0 || len(v.MissedPositives) == 0 {
						t.Errorf("without %s: %s", n, v)
						continue
					}
					want := 0
					for _, e := range d.Positives {
						if recordOf(t, e).EventName == n {
							want++
						}
					}
					if len(v.MissedPositives) != want {
						t.Errorf("without %s: missed %v, want the %d positive(s) with that name", n, v.MissedPositives, want)
					}
					for _, m := range v.MissedPositives {
						if got := eventNameOf(t, d, m); got != n || !strings.Contains(m, n) {
							t.Errorf("without %s: missed %q (eventName %s)", n, m, got)
						}
					}
				}
			}
			switch c.Key {
			case "unauthorized-api-calls":
				v := verdictOf(t, d, `{ $.errorCode = "*UnauthorizedOperation" }`)
				if v.Detects || len(v.MissedPositives) != 2 || !strings.Contains(strings.Join(v.MissedPositives, " "), "AccessDenied") {
					t.Errorf("without AccessDenied*: %s", v)
				}
			case "console-auth-failures":
				v := verdictOf(t, d, `{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") && ($.userIdentity.type = "IAMUser") }`)
				if v.Detects || len(v.MissedPositives) != 1 || !strings.Contains(v.MissedPositives[0], "root") {
					t.Errorf("IAM users only: %s", v)
				}
			}

			// 4. Careless patterns match negatives.
			for _, p := range exp.careless {
				v := verdictOf(t, d, p)
				if v.Detects || len(v.MatchedNegatives) == 0 {
					t.Errorf("careless %s: %s", p, v)
				}
			}
			for _, p := range exp.notNoise {
				if v := verdictOf(t, d, p); !v.Detects {
					t.Errorf("sweeping in another control's events is not noise: %s: %s", p, v)
				}
			}
		})
	}
}

// TestCISUnauthorizedTraps: the published texts that do not mean what they seem to.
func TestCISUnauthorizedTraps(t *testing.T) {
	d := CISFilter("unauthorized-api-calls")
	// CIS v1.4 / v3.0: four clauses joined with ||; the last two hold for nearly every event,
	// so the alarm is always in ALARM. Every negative matches.
	v14 := `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || ($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }`
	v := verdictOf(t, d, v14)
	if v.Detects || len(v.MissedPositives) != 0 || len(v.MatchedNegatives) != len(d.Negatives) {
		t.Errorf("CIS v1.4 text: %s", v)
	}

	// CIS v4.0+: && binds tighter, so the exclusions apply to AccessDenied* only. It detects,
	// and differs from the Security Hub text only on the events in neither set.
	v40 := filterpattern.MustParse(`{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") && ($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }`)
	ref := filterpattern.MustParse(CISControls()[0].RefPattern)
	for _, f := range []string{"s3-head-bucket-access-denied.json", "s3-get-bucket-acl-log-delivery-access-denied.json"} {
		body := string(file("cloudtrail/" + f))
		if !ref.Match(body).Matched || v40.Match(body).Matched {
			t.Errorf("%s: Security Hub text matches %v (want true), CIS v4.0 text %v (want false)", f,
				ref.Match(body).Matched, v40.Match(body).Matched)
		}
	}
}

// TestCISConsoleQuoteStrippedTranscription: `errorMessage = Failed authentication` without
// quotes. The CloudWatch Logs guide ("Filter and pattern syntax", JSON string values): strings
// made only of alphanumerics need no quotes; strings with other characters "must be enclosed
// in double quotes to be valid". A space is such a character, so the unquoted value is not a
// valid pattern: lookout reports a syntax error (an ERROR finding), never a PASS. (What
// PutMetricFilter does with it is not documented; whichever way AWS treats it, it cannot
// match the two-word value as a phrase.)
func TestCISConsoleQuoteStrippedTranscription(t *testing.T) {
	d := CISFilter("console-auth-failures")
	_, err := d.EvaluateFilterPattern(`{ ($.eventName = ConsoleLogin) && ($.errorMessage = Failed authentication) }`)
	var se *filterpattern.SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("unquoted two-word value: err = %v, want a *filterpattern.SyntaxError", err)
	}
	// One word needs no quotes: a bare value is compared whole, so "Failed*" is needed to match.
	if v := verdictOf(t, d, `{ ($.eventName = ConsoleLogin) && ($.errorMessage = Failed) }`); v.Detects || len(v.MissedPositives) != 2 {
		t.Errorf("bare Failed: %s", v)
	}
	if v := verdictOf(t, d, `{ ($.eventName = ConsoleLogin) && ($.errorMessage = Failed*) }`); !v.Detects {
		t.Errorf("bare Failed*: %s", v)
	}
	// Events in neither set: a login with an unknown user name. The reference misses it, the
	// responseElements variant catches it; both detect.
	unknown := string(file("cloudtrail/iam-user-console-login-unknown-user.json"))
	if filterpattern.MustParse(CISControls()[3].RefPattern).Match(unknown).Matched ||
		!filterpattern.MustParse(`{ ($.eventName = "ConsoleLogin") && ($.responseElements.ConsoleLogin = "Failure") }`).Match(unknown).Matched {
		t.Error("unknown-user login: want reference no match, Failure variant match")
	}
}

// TestCISPrecedenceAndSharedNames: event names other services share, and the CIS v3.0+ route
// table text whose eventSource clause binds to CreateRoute only.
func TestCISPrecedenceAndSharedNames(t *testing.T) {
	match := func(pattern, f string) bool {
		return filterpattern.MustParse(pattern).Match(string(file("cloudtrail/" + f))).Matched
	}
	byKey := map[string]CISControl{}
	for _, c := range CISControls() {
		byKey[c.Key] = c
	}

	v30 := `{($.eventSource = ec2.amazonaws.com) && ($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable)}`
	if v := verdictOf(t, CISFilter("route-table-changes"), v30); !v.Detects {
		t.Errorf("CIS v3.0 route text: %s", v)
	}
	// (ec2 && CreateRoute) || ... || DeleteRoute: API Gateway's DeleteRoute matches, its
	// CreateRoute does not. Were || to bind tighter, neither would.
	if !match(v30, "apigateway-delete-route.json") || match(v30, "apigateway-create-route.json") {
		t.Error("CIS v3.0 route text: want API Gateway DeleteRoute matched and CreateRoute not (&& before ||)")
	}
	ref := byKey["route-table-changes"].RefPattern
	if !match(ref, "apigateway-delete-route.json") || !match(ref, "apigateway-create-route.json") {
		t.Error("route reference (no eventSource) should match API Gateway routes: they are in neither set for that reason")
	}
	if match(ref, "ec2-associate-route-table.json") {
		t.Error("route reference does not list AssociateRouteTable")
	}

	iamRef := byKey["iam-policy-changes"].RefPattern
	if !match(iamRef, "organizations-create-policy.json") || !match(iamRef, "organizations-delete-policy.json") {
		t.Error("IAM reference (no eventSource) should match Organizations CreatePolicy/DeletePolicy: in neither set for that reason")
	}
	// Parenthesised: without them && would bind to the first name only (the v3.0 route trap).
	iamOnly := `{ ($.eventSource = iam.amazonaws.com) && (` + strings.TrimSuffix(strings.TrimPrefix(iamRef, "{"), "}") + `) }`
	if v := verdictOf(t, CISFilter("iam-policy-changes"), iamOnly); !v.Detects {
		t.Errorf("IAM reference restricted to iam.amazonaws.com: %s", v)
	}
	if match(iamOnly, "organizations-create-policy.json") {
		t.Error("iam-restricted pattern matched Organizations CreatePolicy")
	}
}

// TestCISEventPatterns: the natural EventBridge rule detects; without "source" the custom
// event matches; with one name missing that name's positives are missed.
func TestCISEventPatterns(t *testing.T) {
	type rule struct {
		natural, noSource string
		missing           string // a rule missing something
		missed            string // ... and a word the missed positives' names contain
	}
	rules := map[string]rule{
		"unauthorized-api-calls": {
			natural:  `{"source":[{"prefix":"aws."}],"detail-type":["AWS API Call via CloudTrail"],"detail":{"errorCode":[{"suffix":"UnauthorizedOperation"},{"prefix":"AccessDenied"}]}}`,
			noSource: `{"detail-type":["AWS API Call via CloudTrail"],"detail":{"errorCode":[{"wildcard":"*UnauthorizedOperation"},{"prefix":"AccessDenied"}]}}`,
			missing:  `{"source":["aws.ec2","aws.s3","aws.kms"],"detail":{"errorCode":[{"suffix":"UnauthorizedOperation"},"AccessDenied"]}}`,
			missed:   "AccessDeniedException",
		},
		"console-auth-failures": {
			natural:  `{"source":["aws.signin"],"detail-type":["AWS Console Sign In via CloudTrail"],"detail":{"eventName":["ConsoleLogin"],"errorMessage":["Failed authentication"]}}`,
			noSource: `{"detail-type":["AWS Console Sign In via CloudTrail"],"detail":{"eventName":["ConsoleLogin"],"responseElements":{"ConsoleLogin":["Failure"]}}}`,
			missing:  `{"source":["aws.signin"],"detail":{"eventName":["ConsoleLogin"],"errorMessage":["Failed authentication"],"userIdentity":{"type":["IAMUser"]}}}`,
			missed:   "root",
		},
	}
	for _, c := range CISControls() {
		if _, ok := rules[c.Key]; ok {
			continue
		}
		names, _ := refNames(c.RefPattern)
		src := cisExpected[c.Key].eventSource
		svc := "aws." + strings.TrimSuffix(src, ".amazonaws.com")
		mk := func(withSource bool, names []string) string {
			b, _ := json.Marshal(names)
			p := `"detail-type":["AWS API Call via CloudTrail"],"detail":{"eventSource":["` + src + `"],"eventName":` + string(b) + `}}`
			if withSource {
				return `{"source":["` + svc + `"],` + p
			}
			return "{" + p
		}
		last := names[len(names)-1]
		rules[c.Key] = rule{natural: mk(true, names), noSource: mk(false, names), missing: mk(true, names[:len(names)-1]), missed: last}
	}

	for _, c := range CISControls() {
		t.Run(c.Key, func(t *testing.T) {
			r := rules[c.Key]
			d := CISEvent(c.Key, "eu-west-3", "111122223333")
			if v := verdictOf(t, d, r.natural); !v.Detects {
				t.Errorf("natural rule: %s\n%s", v, r.natural)
			}
			v := verdictOf(t, d, r.noSource)
			if v.Detects || len(v.MissedPositives) != 0 || len(v.MatchedNegatives) != 1 || !strings.HasPrefix(v.MatchedNegatives[0], "custom event (source custom.app)") {
				t.Errorf("rule without source: %s", v)
			}
			v = verdictOf(t, d, r.missing)
			if v.Detects || len(v.MissedPositives) == 0 || len(v.MatchedNegatives) != 0 {
				t.Errorf("rule missing %s: %s", r.missed, v)
			}
			for _, m := range v.MissedPositives {
				if !strings.Contains(m, r.missed) {
					t.Errorf("rule missing %s: missed %q", r.missed, m)
				}
			}
			for _, p := range cisExpected[c.Key].carelessEvent {
				if v := verdictOf(t, d, p); v.Detects || len(v.MatchedNegatives) == 0 {
					t.Errorf("careless %s: %s", p, v)
				}
			}
			// Region: a rule pinned to the events' region detects, one pinned elsewhere misses.
			pinned := strings.Replace(r.natural, "{", `{"region":["eu-west-3"],"account":["111122223333"],`, 1)
			if v := verdictOf(t, d, pinned); !v.Detects {
				t.Errorf("rule pinned to eu-west-3: %s", v)
			}
			other := strings.Replace(r.natural, "{", `{"region":["us-east-1"],`, 1)
			if v := verdictOf(t, d, other); v.Detects || len(v.MissedPositives) == 0 {
				t.Errorf("rule pinned to us-east-1: %s", v)
			}
		})
	}
}

// TestCISConsoleSigninSpellings: both detail-type spellings are judged alike, as for
// RootConsoleSignin.
func TestCISConsoleSigninSpellings(t *testing.T) {
	d := CISEvent("console-auth-failures", "us-west-2", "")
	if len(d.AnyOf) != 2 || len(d.Positives) != 0 {
		t.Fatalf("want two AnyOf groups, got %d (and %d plain positives)", len(d.AnyOf), len(d.Positives))
	}
	for _, dt := range []string{"AWS Console Sign In via CloudTrail", "AWS Console Signin via CloudTrail"} {
		p := `{"source":["aws.signin"],"detail-type":["` + dt + `"],"detail":{"errorMessage":["Failed authentication"]}}`
		if v := verdictOf(t, d, p); !v.Detects {
			t.Errorf("%s: %s", dt, v)
		}
	}
	if v := verdictOf(t, d, `{"source":["aws.signin"],"detail-type":["AWS API Call via CloudTrail"]}`); v.Detects {
		t.Errorf("API-call detail-type: %s", v)
	}
}

// TestCISEnvelopes: each envelope is what EventBridge delivers on the default bus — its
// fields taken from the stamped record.
func TestCISEnvelopes(t *testing.T) {
	for _, c := range CISControls() {
		for _, tc := range []struct{ region, account string }{{"ap-south-2", "444455556666"}, {"", ""}} {
			d := CISEvent(c.Key, tc.region, tc.account)
			region, account := tc.region, tc.account
			if region == "" {
				region, account = "us-east-1", defaultAccount
			}
			all := append(append(append([]Event{}, d.Positives...), flatten(d.AnyOf)...), d.Negatives...)
			for _, e := range all {
				var env testEnvelope
				if err := json.Unmarshal(e.Body, &env); err != nil {
					t.Fatalf("%s/%s: %v", c.Key, e.Name, err)
				}
				r := recordOf(t, e)
				wantSource := "aws." + strings.TrimSuffix(r.EventSource, ".amazonaws.com")
				if strings.HasPrefix(e.Name, "custom event") {
					wantSource = "custom.app"
				}
				wantType := "AWS API Call via CloudTrail"
				if r.EventType == "AwsConsoleSignIn" {
					wantType = "AWS Console Sign In via CloudTrail"
					if strings.Contains(e.Name, "Signin via") {
						wantType = "AWS Console Signin via CloudTrail"
					}
				}
				if env.Version != "0" || len(env.ID) != 36 || env.Source != wantSource || env.DetailType != wantType ||
					env.Account != account || env.Region != region || env.Time != r.EventTime ||
					env.Resources == nil || len(env.Resources) != 0 {
					t.Errorf("%s/%s: envelope %+v (source want %s, detail-type want %s)", c.Key, e.Name,
						struct{ V, ID, DT, S, A, T, R string }{env.Version, env.ID, env.DetailType, env.Source, env.Account, env.Time, env.Region},
						wantSource, wantType)
				}
				if r.AWSRegion != region || r.RecipientAccountID != account {
					t.Errorf("%s/%s: detail awsRegion %s recipientAccountId %s", c.Key, e.Name, r.AWSRegion, r.RecipientAccountID)
				}
				if r.UserIdentity != nil && r.UserIdentity.AccountID != "" && r.UserIdentity.AccountID != account {
					t.Errorf("%s/%s: userIdentity.accountId %s", c.Key, e.Name, r.UserIdentity.AccountID)
				}
				if strings.Contains(string(env.Detail), defaultAccount) && account != defaultAccount {
					t.Errorf("%s/%s: example account left in the detail", c.Key, e.Name)
				}
			}
			// The custom negative carries the first positive's detail.
			custom := d.Negatives[len(d.Negatives)-1]
			first := append(append([]Event{}, d.Positives...), flatten(d.AnyOf)...)[0]
			var a, b testEnvelope
			_ = json.Unmarshal(custom.Body, &a)
			_ = json.Unmarshal(first.Body, &b)
			if string(a.Detail) != string(b.Detail) || a.DetailType != b.DetailType || a.Source != "custom.app" {
				t.Errorf("%s: custom negative does not mirror the first positive", c.Key)
			}
		}
	}
}

// TestCISDetectionsWellFormed: positives and negatives present, unique names, JSON bodies,
// every positive from the control's service, and the EC2 families' neighbours as negatives.
func TestCISDetectionsWellFormed(t *testing.T) {
	for _, c := range CISControls() {
		exp := cisExpected[c.Key]
		for _, d := range []Detection{CISFilter(c.Key), CISEvent(c.Key, "", "")} {
			t.Run(c.Key+"/"+d.Language.String(), func(t *testing.T) {
				if d.ID != c.Key || len(d.Positives)+len(d.AnyOf) == 0 || len(d.Negatives) == 0 {
					t.Fatalf("ID %q, %d positives, %d groups, %d negatives", d.ID, len(d.Positives), len(d.AnyOf), len(d.Negatives))
				}
				seen := map[string]bool{}
				for _, e := range append(append(append([]Event{}, d.Positives...), flatten(d.AnyOf)...), d.Negatives...) {
					if seen[e.Name] {
						t.Errorf("duplicate case name %q", e.Name)
					}
					seen[e.Name] = true
					if !json.Valid(e.Body) {
						t.Errorf("%s: not JSON", e.Name)
					}
				}
				for _, e := range append(append([]Event{}, d.Positives...), flatten(d.AnyOf)...) {
					r := recordOf(t, e)
					if exp.eventSource != "" && r.EventSource != exp.eventSource {
						t.Errorf("positive %s: eventSource %s, want %s", e.Name, r.EventSource, exp.eventSource)
					}
					if exp.eventSource == "" && !contains(exp.sources, r.EventSource) {
						t.Errorf("positive %s: eventSource %s, want one of %v", e.Name, r.EventSource, exp.sources)
					}
					if c.Key == "unauthorized-api-calls" && r.ErrorCode == "" {
						t.Errorf("positive %s has no errorCode", e.Name)
					}
					if d.Language == FilterPattern && c.Delivery == DeliveryUSEast1 && r.AWSRegion != "us-east-1" {
						t.Errorf("positive %s: awsRegion %s, but %s events are delivered in us-east-1", e.Name, r.AWSRegion, c.Key)
					}
				}
			})
		}
	}

	// Firing on what another control watches is not noise: no control's negative is another
	// control's positive (one "network changes" rule monitors all five EC2 families).
	watched := map[string]string{}
	for _, c := range CISControls() {
		for _, e := range CISFilter(c.Key).Positives {
			watched[string(e.Bytes())] = c.Key
		}
	}
	for _, c := range CISControls() {
		for _, e := range CISFilter(c.Key).Negatives {
			if other, ok := watched[string(e.Bytes())]; ok {
				t.Errorf("%s: negative %s is a positive of %s", c.Key, e.Name, other)
			}
		}
	}

	// Regional controls: the metric-filter side draws its records from more than one region
	// (a multi-region trail's log group holds them all).
	for _, c := range CISControls() {
		if c.Delivery != DeliveryRegional {
			continue
		}
		regions := map[string]bool{}
		for _, e := range CISFilter(c.Key).Positives {
			regions[recordOf(t, e).AWSRegion] = true
		}
		if len(regions) < 2 && c.Key != "kms-key-disable" {
			t.Errorf("%s: positives all from %v", c.Key, regions)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestCloudTrailCorpusRecords: every CloudTrail record of the corpus is one JSON object with
// the fields CloudTrail always writes.
func TestCloudTrailCorpusRecords(t *testing.T) {
	entries, err := fs.ReadDir(corpusFS, "corpus/cloudtrail")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	var files []string
	for _, e := range entries {
		files = append(files, e.Name())
		body := file("cloudtrail/" + e.Name())
		var r map[string]any
		if err := json.Unmarshal(body, &r); err != nil {
			t.Errorf("%s: %v", e.Name(), err)
			continue
		}
		for _, k := range []string{"eventVersion", "eventSource", "eventName", "awsRegion", "recipientAccountId", "eventTime", "eventID", "eventType"} {
			if s, ok := r[k].(string); !ok || s == "" {
				t.Errorf("%s: %s missing or not a string", e.Name(), k)
			}
		}
		if _, ok := r["userIdentity"].(map[string]any); !ok {
			t.Errorf("%s: no userIdentity", e.Name())
		}
		for _, k := range []string{"readOnly", "managementEvent"} {
			if _, ok := r[k].(bool); !ok {
				t.Errorf("%s: %s missing or not a boolean", e.Name(), k)
			}
		}
		if id, _ := r["eventID"].(string); ids[id] != "" {
			t.Errorf("%s: eventID %s also in %s", e.Name(), id, ids[id])
		} else {
			ids[id] = e.Name()
		}
		if !strings.HasSuffix(r["eventSource"].(string), ".amazonaws.com") {
			t.Errorf("%s: eventSource %v", e.Name(), r["eventSource"])
		}
	}
	sort.Strings(files)
	if len(files) < 150 {
		t.Errorf("only %d CloudTrail records", len(files))
	}
}
