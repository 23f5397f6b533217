package detection

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/lookout-audit/lookout/internal/apicatalog"
	"github.com/lookout-audit/lookout/internal/eventpattern"
	"github.com/lookout-audit/lookout/internal/filterpattern"
)

// Noise judged against every AWS API. A detection defined by which API calls it watches (the
// CIS change controls, StopLogging) is too broad when its pattern also fires on a call that no
// CIS monitoring control asks to watch: a corpus of hand-picked negatives cannot list every
// call a wildcard catches ("$.eventName = *Trail" catches cloudtrail's GetTrail, "Delete*"
// without an event source catches s3:DeleteBucket, iam:DeleteUser, ec2:DeleteSnapshot...), the
// AWS API catalogue (internal/apicatalog) can. Each operation is offered as the CloudTrail
// record of a successful call by an IAM user, as CloudTrail delivers it to CloudWatch Logs and
// as EventBridge delivers it ("AWS API Call via CloudTrail", source aws.<service>).
//
// A pattern is evaluated against the catalogue once per scan and pattern: an organisation
// deploys the same pattern everywhere. An event pattern is judged per account and region
// (which its events carry) only when it reads a value that holds them (the envelope's account
// and region, the record's ARN, account ids and awsRegion: catalogueVariant); any other reads
// the same events everywhere, so its verdict is the same for every account and region.

// CatalogueCall is an operation of the catalogue that a pattern matches.
type CatalogueCall struct {
	EventSource, Name string
	ReadOnly          bool
}

// String names the call as "service:Name" ("cloudtrail:GetTrail").
func (c CatalogueCall) String() string {
	return strings.TrimSuffix(c.EventSource, ".amazonaws.com") + ":" + c.Name
}

// watchedCalls are the (eventSource, eventName) pairs some CIS monitoring control watches or
// StopLogging remediates: firing on them is firing on what someone asked to hear.
var watchedCalls = sync.OnceValue(func() map[[2]string]bool {
	out := map[[2]string]bool{{"cloudtrail.amazonaws.com", "StopLogging"}: true}
	for _, s := range cisSpecs {
		for _, c := range s.positives {
			h := struct {
				EventSource string `json:"eventSource"`
				EventName   string `json:"eventName"`
			}{}
			if json.Unmarshal(file("cloudtrail/"+c.file), &h) == nil {
				out[[2]string{h.EventSource, h.EventName}] = true
			}
		}
	}
	return out
})

// Watched reports whether a CIS monitoring control (or the StopLogging remediation) watches
// the call.
func Watched(eventSource, eventName string) bool {
	return watchedCalls()[[2]string{eventSource, eventName}]
}

const (
	catalogueAccount = "123456789012"
	catalogueRegion  = "us-east-1"
)

// catalogueRecord is the CloudTrail record of a successful call of op by an IAM user.
func catalogueRecord(op apicatalog.Operation, account, region string) []byte {
	rec := map[string]any{
		"eventVersion": "1.09",
		"userIdentity": map[string]any{"type": "IAMUser", "principalId": "AIDAEXAMPLECATALOGUE", "arn": "arn:aws:iam::" + account + ":user/alice",
			"accountId": account, "accessKeyId": "AKIAEXAMPLECATALOGUE", "userName": "alice"},
		"eventTime": "2026-11-22T10:00:00Z", "eventSource": op.EventSource, "eventName": op.Name, "awsRegion": region,
		"sourceIPAddress": "203.0.113.10", "userAgent": "aws-cli/2.17.0", "requestParameters": nil, "responseElements": nil,
		"requestID": "00000000-0000-0000-0000-000000000000", "eventID": "00000000-0000-0000-0000-000000000001",
		"readOnly": op.ReadOnly, "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": account, "eventCategory": "Management",
	}
	b, _ := json.Marshal(rec)
	return b
}

// catalogueEnvelope wraps the record as EventBridge delivers it to the default bus.
func catalogueEnvelope(op apicatalog.Operation, account, region string) []byte {
	rec := catalogueRecord(op, account, region)
	env := fmt.Sprintf(`{"version":"0","id":"00000000-0000-0000-0000-000000000002","detail-type":%q,"source":%q,"account":%q,"time":"2026-11-22T10:00:00Z","region":%q,"resources":[],"detail":%s}`,
		detailTypeAPICall, apicatalog.EventBridgeSource(op.EventSource), account, region, rec)
	return []byte(env)
}

// unwatched is the catalogue less what CIS controls watch, in catalogue order. A call that
// shares its eventName with a watched call (autoscaling:DeletePolicy beside iam:DeletePolicy,
// apigateway:CreateRoute beside ec2:CreateRoute) is left out too: the reference patterns of
// CIS and Security Hub name calls without an event source, so they match it, and a pattern
// that names a watched call exactly is not made too broad by its homonyms. What a wildcard
// sweeps in under other names (GetTrail for *Trail, DeleteBucket for Delete*) stays.
var unwatched = sync.OnceValue(func() []apicatalog.Operation {
	names := map[string]bool{}
	for k := range watchedCalls() {
		names[k[1]] = true
	}
	var out []apicatalog.Operation
	for _, op := range apicatalog.All() {
		if !Watched(op.EventSource, op.Name) && !names[op.Name] {
			out = append(out, op)
		}
	}
	return out
})

type noiseKey struct{ lang, pattern, account, region string }

var noiseMemo sync.Map // noiseKey -> *noiseOnce

type noiseOnce struct {
	once  sync.Once
	calls []CatalogueCall
	err   error
}

// CatalogueNoise lists the calls of the AWS API catalogue that pattern (in lang) matches and
// that no CIS monitoring control watches, read-only calls first, then in catalogue order. An
// event pattern is judged against the events as they reach a bus in account and region (""
// for the defaults); a filter pattern against log events of one account and region (a log
// group's records carry many, and the stamp is one of them). The error is the pattern's
// syntax error.
func CatalogueNoise(lang Language, pattern, account, region string) ([]CatalogueCall, error) {
	if account == "" {
		account = catalogueAccount
	}
	if region == "" {
		region = catalogueRegion
	}
	key := noiseKey{lang.String(), pattern, account, region}
	// A log group holds the records of every account and region its trail covers: the
	// stamp is one of them, and the same for every group. An event pattern that reads no
	// value holding the account or region matches the same calls in every one.
	if lang == FilterPattern || (lang == EventPattern && eventPatternInvariant(pattern)) {
		key.account, key.region = "", ""
		account, region = catalogueAccount, catalogueRegion
	}
	e, _ := noiseMemo.LoadOrStore(key, &noiseOnce{})
	n := e.(*noiseOnce)
	n.once.Do(func() {
		noiseEvaluations.Add(1)
		n.calls, n.err = catalogueNoise(lang, pattern, account, region)
	})
	return n.calls, n.err
}

// noiseEvaluations counts the patterns judged against the catalogue (for tests).
var noiseEvaluations atomic.Int64

// catalogueVariant are the leaf paths of the catalogue's envelopes (eventpattern.LeafPaths'
// spelling) whose values hold the account or the region they are stamped with. The envelopes
// differ from one account and region to another only there; they are the same for every
// operation, which only sets source, eventSource, eventName and readOnly.
var catalogueVariant = sync.OnceValue(func() map[string]bool {
	out := map[string]bool{}
	ev, err := eventpattern.DecodeEvent(catalogueEnvelope(unwatched()[0], catalogueAccount, catalogueRegion))
	if err != nil {
		panic(fmt.Sprintf("detection: the catalogue envelope does not decode: %v", err))
	}
	ev.StringLeaves(func(path, value string, kind eventpattern.LeafKind) {
		if kind != eventpattern.KeyLeaf && (strings.Contains(value, catalogueAccount) || strings.Contains(value, catalogueRegion)) {
			out[path] = true
		}
	})
	return out
})

var invariantMemo sync.Map // event pattern text -> bool

// eventPatternInvariant reports whether the event pattern reads none of catalogueVariant, so
// that the catalogue's calls match it alike in every account and region. A pattern that does
// not parse is invariant: its error is the same everywhere.
func eventPatternInvariant(pattern string) bool {
	if v, ok := invariantMemo.Load(pattern); ok {
		return v.(bool)
	}
	invariant := true
	if p, err := ParseEventPattern(pattern); err == nil {
		variant := catalogueVariant()
		for _, path := range p.LeafPaths() {
			if variant[path] {
				invariant = false
				break
			}
		}
	}
	invariantMemo.Store(pattern, invariant)
	return invariant
}

func catalogueNoise(lang Language, pattern, account, region string) ([]CatalogueCall, error) {
	ops := unwatched()
	var out []CatalogueCall
	switch lang {
	case FilterPattern:
		p, err := filterpattern.Parse(pattern)
		if err != nil {
			return nil, err
		}
		// The records differ only in eventSource, eventName and readOnly: a JSON pattern is
		// matched over one decoded template with those set per call; any other pattern reads
		// each record's text.
		doc, _ := filterpattern.DecodeJSON(string(catalogueRecord(ops[0], account, region)))
		tmpl, _ := doc.(map[string]any)
		for _, op := range ops {
			var matched bool
			if p.IsJSON() && tmpl != nil {
				tmpl["eventSource"], tmpl["eventName"], tmpl["readOnly"] = op.EventSource, op.Name, op.ReadOnly
				matched = p.MatchDecoded(tmpl).Matched
			} else {
				matched = p.Match(string(catalogueRecord(op, account, region))).Matched
			}
			if matched {
				out = append(out, CatalogueCall{op.EventSource, op.Name, op.ReadOnly})
			}
		}
	case EventPattern:
		p, err := eventpattern.Parse(pattern)
		if err != nil {
			return nil, err
		}
		var tmpl, detail map[string]any
		// A private decoded template, whose few varying fields are set per call.
		if ev, err := eventpattern.DecodeEvent(catalogueEnvelope(ops[0], account, region)); err == nil {
			root, _ := ev.Lookup()
			tmpl, _ = root.(map[string]any)
		}
		if tmpl != nil {
			detail, _ = tmpl["detail"].(map[string]any)
		}
		for _, i := range eventCandidates(p, ops) {
			op := ops[i]
			var ev *eventpattern.Event
			if detail != nil {
				tmpl["source"] = apicatalog.EventBridgeSource(op.EventSource)
				detail["eventSource"], detail["eventName"], detail["readOnly"] = op.EventSource, op.Name, op.ReadOnly
				ev = eventpattern.EventOf(tmpl)
			} else if ev, err = eventpattern.DecodeEvent(catalogueEnvelope(op, account, region)); err != nil {
				continue
			}
			if p.MatchEvent(ev) {
				out = append(out, CatalogueCall{op.EventSource, op.Name, op.ReadOnly})
			}
		}
	default:
		return nil, fmt.Errorf("detection: no catalogue for %s", lang)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ReadOnly && !out[j].ReadOnly })
	return out, nil
}

// eventCandidates are the indexes of the operations an event pattern can match, narrowed by
// the exact values it requires of source, detail.eventSource and detail.eventName (an index
// by event source and name); every operation when it requires none.
func eventCandidates(p *eventpattern.Pattern, ops []apicatalog.Operation) []int {
	sources, _ := p.ExactStrings("source")
	eventSources, _ := p.ExactStrings("detail", "eventSource")
	names, _ := p.ExactStrings("detail", "eventName")
	out := make([]int, 0, len(ops))
	for i, op := range ops {
		if sources != nil && !sources[apicatalog.EventBridgeSource(op.EventSource)] {
			continue
		}
		if eventSources != nil && !eventSources[op.EventSource] {
			continue
		}
		if names != nil && !names[op.Name] {
			continue
		}
		out = append(out, i)
	}
	return out
}

// ByAPICalls reports whether the detection is defined by which API calls it watches (the CIS
// change controls and StopLogging), so that its noise is judged against the whole API
// catalogue; detections defined by who calls (root usage, no MFA, sign-ins) keep their
// corpus of identities.
func (d Detection) ByAPICalls() bool {
	if d.ID == "stoplogging" {
		return true
	}
	for _, s := range cisSpecs {
		if s.Key == d.ID {
			return true
		}
	}
	return false
}

// Examples names up to n calls ("cloudtrail:GetTrail (read-only)"), and how many more.
func Examples(calls []CatalogueCall, n int) string {
	var parts []string
	for i, c := range calls {
		if i == n {
			parts = append(parts, fmt.Sprintf("%d more", len(calls)-n))
			break
		}
		s := c.String()
		if c.ReadOnly {
			s += " (read-only)"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}
