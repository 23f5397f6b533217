package route

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/lookout-audit/lookout/internal/detection"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// Which management events does a trail record? Selectors are judged by meaning: we build probe
// management events (read and write, from a spread of event sources and principals, plus every
// source and name the selectors themselves mention) and ask whether the trail's selectors
// would record each one. Comparing selector text would misread advanced selectors, the way
// peer scanners do (prowler #1795, steampipe #408).

// probeEvent is the slice of a CloudTrail management event that selectors can filter on.
type probeEvent struct {
	readOnly    bool
	eventSource string
	eventName   string
	userARN     string
	fromConsole bool
}

// field returns the probe's value for an advanced-selector field, and whether the event has
// that field at all.
func (p probeEvent) field(name string) (string, bool) {
	switch name {
	case "eventCategory":
		return "Management", true
	case "readOnly":
		return fmt.Sprint(p.readOnly), true
	case "eventSource":
		return p.eventSource, true
	case "eventName":
		return p.eventName, true
	case "eventType":
		return "AwsApiCall", true
	case "userIdentity.arn":
		return p.userARN, true
	case "sessionCredentialFromConsole":
		return fmt.Sprint(p.fromConsole), true
	}
	// errorCode, resources.type, resources.ARN, vpcEndpointId...: absent on these probes.
	return "", false
}

// baseSources are event sources whose management events a detection control depends on.
var baseSources = []string{
	"cloudtrail.amazonaws.com", "signin.amazonaws.com", "iam.amazonaws.com", "sts.amazonaws.com",
	"ec2.amazonaws.com", "s3.amazonaws.com", "kms.amazonaws.com", "rdsdata.amazonaws.com",
	"ssm.amazonaws.com", "events.amazonaws.com", "logs.amazonaws.com",
}

func probes(sel *snapshot.EventSelectors) []probeEvent {
	sources := map[string]bool{}
	for _, s := range baseSources {
		sources[s] = true
	}
	names := map[string]bool{"StopLogging": true, "ConsoleLogin": true, "DescribeInstances": true}
	for _, c := range sel.Classic {
		for _, s := range c.ExcludeManagementEventSources {
			sources[s] = true
		}
	}
	for _, a := range sel.Advanced {
		for _, f := range a.FieldSelectors {
			vals := append(append(append([]string{}, f.Equals...), f.NotEquals...), append(f.StartsWith, f.NotStartsWith...)...)
			switch f.Field {
			case "eventSource":
				for _, v := range vals {
					sources[v] = true
				}
			case "eventName":
				for _, v := range vals {
					names[v] = true
				}
			}
		}
	}
	users := []string{"arn:aws:iam::111122223333:root", "arn:aws:iam::111122223333:user/alice",
		"arn:aws:sts::111122223333:assumed-role/Admin/session"}
	var out []probeEvent
	for _, src := range sortedKeys(sources) {
		for _, name := range sortedKeys(names) {
			for _, u := range users {
				for _, ro := range []bool{true, false} {
					for _, console := range []bool{true, false} {
						out = append(out, probeEvent{ro, src, name, u, console})
					}
				}
			}
		}
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// records reports whether the selectors record the probe event.
func records(sel *snapshot.EventSelectors, p probeEvent) bool {
	if sel.Default {
		return true
	}
	for _, c := range sel.Classic {
		if !c.IncludeManagementEvents {
			continue
		}
		switch c.ReadWriteType {
		case "ReadOnly":
			if !p.readOnly {
				continue
			}
		case "WriteOnly":
			if p.readOnly {
				continue
			}
		}
		if contains(c.ExcludeManagementEventSources, p.eventSource) {
			continue
		}
		return true
	}
	for _, a := range sel.Advanced {
		if advancedMatches(a, p) {
			return true
		}
	}
	return false
}

// advancedMatches: all field selectors must hold (AND); within an operator values are ORed;
// negative operators must hold for every value.
func advancedMatches(a snapshot.AdvancedSelector, p probeEvent) bool {
	if len(a.FieldSelectors) == 0 {
		return false
	}
	for _, f := range a.FieldSelectors {
		v, ok := p.field(f.Field)
		if !ok {
			// A positive condition on a field management events do not carry can never hold;
			// a negative one always does.
			if len(f.Equals)+len(f.StartsWith)+len(f.EndsWith) > 0 {
				return false
			}
			continue
		}
		if len(f.Equals) > 0 && !contains(f.Equals, v) {
			return false
		}
		if len(f.StartsWith) > 0 && !anyAffix(f.StartsWith, v, strings.HasPrefix) {
			return false
		}
		if len(f.EndsWith) > 0 && !anyAffix(f.EndsWith, v, strings.HasSuffix) {
			return false
		}
		if contains(f.NotEquals, v) || anyAffix(f.NotStartsWith, v, strings.HasPrefix) || anyAffix(f.NotEndsWith, v, strings.HasSuffix) {
			return false
		}
	}
	return true
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func anyAffix(list []string, v string, has func(string, string) bool) bool {
	for _, x := range list {
		if has(v, x) {
			return true
		}
	}
	return false
}

// managementGaps remembers ManagementGap's answer per set of selectors (their JSON text): an
// organisation deploys the same trail configuration everywhere, and judging it takes a few
// thousand probe events.
var managementGaps sync.Map // selectors' JSON -> string

// ManagementGap describes what management events the selectors miss, or "" if none.
func ManagementGap(sel *snapshot.EventSelectors) string {
	key, err := json.Marshal(sel)
	if err != nil {
		return managementGap(sel)
	}
	if gap, ok := managementGaps.Load(string(key)); ok {
		return gap.(string)
	}
	gap := managementGap(sel)
	managementGaps.Store(string(key), gap)
	return gap
}

func managementGap(sel *snapshot.EventSelectors) string {
	ps := probes(sel)
	var missRead, missWrite, total, missed int
	var reads, writes int
	missedSources := map[string]bool{}
	allSources := map[string]bool{}
	for _, p := range ps {
		allSources[p.eventSource] = true
		total++
		if p.readOnly {
			reads++
		} else {
			writes++
		}
		if records(sel, p) {
			continue
		}
		missed++
		missedSources[p.eventSource] = true
		if p.readOnly {
			missRead++
		} else {
			missWrite++
		}
	}
	switch {
	case missed == 0:
		return ""
	case missed == total:
		return "records no management events"
	case missRead == reads && missWrite == 0:
		return "records write-only management events (read events are not logged)"
	case missWrite == writes && missRead == 0:
		return "records read-only management events (write events such as StopLogging are not logged)"
	case len(missedSources) < len(allSources):
		return "does not record all management events from " + strings.Join(sortedKeys(missedSources), ", ")
	}
	return "does not record all management events (its selectors filter by principal, event name or console session)"
}

// recordProbe reads the probe of a detection event: a CloudTrail record (metric-filter
// detections) or an EventBridge envelope carrying one in detail. ok is false for events that
// are not CloudTrail records (sshd lines, EC2 state-change notifications).
func recordProbe(body []byte) (probeEvent, bool) {
	var rec struct {
		EventSource  string `json:"eventSource"`
		EventName    string `json:"eventName"`
		ReadOnly     *bool  `json:"readOnly"`
		UserIdentity struct {
			ARN string `json:"arn"`
		} `json:"userIdentity"`
		SessionCredentialFromConsole string          `json:"sessionCredentialFromConsole"`
		Detail                       json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(body, &rec) != nil {
		return probeEvent{}, false
	}
	if rec.EventSource == "" && len(rec.Detail) > 0 {
		return recordProbe(rec.Detail)
	}
	if rec.EventSource == "" || rec.EventName == "" {
		return probeEvent{}, false
	}
	readOnly := rec.ReadOnly != nil && *rec.ReadOnly
	return probeEvent{readOnly: readOnly, eventSource: rec.EventSource, eventName: rec.EventName,
		userARN: rec.UserIdentity.ARN, fromConsole: rec.SessionCredentialFromConsole == "true"}, true
}

// eventProbe is recordProbe(e.Body) read from the event's decoded form (decoded once per
// event; a CIS event stamped for a region and account is read from the event prepared for
// its control, without parsing), which matters because every positive of every control is
// probed in every region of every account. The fields and their JSON types are judged as
// json.Unmarshal judges them for recordProbe.
func eventProbe(e detection.Event) (probeEvent, bool) {
	return probeAt(e, nil)
}

func probeAt(e detection.Event, at []string) (probeEvent, bool) {
	path := func(p ...string) []string { return append(append([]string{}, at...), p...) }
	get := func(p ...string) (any, bool) { return e.Lookup(path(p...)...) }
	if _, obj := e.Has(path()...); !obj {
		return probeEvent{}, false // absent, null or not an object: no record
	}
	bad := false
	str := func(path ...string) string {
		v, ok := get(path...)
		if !ok || v == nil {
			return ""
		}
		s, isStr := v.(string)
		bad = bad || !isStr
		return s
	}
	source, name, console := str("eventSource"), str("eventName"), str("sessionCredentialFromConsole")
	var arn string
	if present, obj := e.Has(path("userIdentity")...); obj {
		arn = str("userIdentity", "arn")
	} else if present {
		if v, _ := get("userIdentity"); v != nil {
			bad = true // a string, number or array where an object belongs
		}
	}
	readOnly := false
	if v, ok := get("readOnly"); ok && v != nil {
		b, isBool := v.(bool)
		bad = bad || !isBool
		readOnly = b
	}
	if bad {
		return probeEvent{}, false
	}
	if hasDetail, _ := e.Has(path("detail")...); source == "" && hasDetail {
		return probeAt(e, append(append([]string{}, at...), "detail"))
	}
	if source == "" || name == "" {
		return probeEvent{}, false
	}
	return probeEvent{readOnly: readOnly, eventSource: source, eventName: name, userARN: arn, fromConsole: console == "true"}, true
}

// TrailRecords judges whether trail t is logging and its selectors record the detection's
// positive CloudTrail events: a detection that depends on the trail needs those events, not
// every management event (a trail that excludes KMS events still feeds an IAM alarm).
func TrailRecords(t *snapshot.Trail, d detection.Detection) (Verdict, string) {
	switch {
	case t.Status == nil && t.StatusError != nil:
		return Error, fmt.Sprintf("trail %s: could not read its status: %s", t.Name, t.StatusError.Error())
	case t.Status == nil:
		return Error, fmt.Sprintf("trail %s: status was not collected", t.Name)
	case !t.Status.IsLogging:
		reason := fmt.Sprintf("trail %s is not logging", t.Name)
		if t.Status.StopLoggingTime != nil {
			reason += fmt.Sprintf(" (StopLogging at %s)", t.Status.StopLoggingTime.UTC().Format(time.RFC3339))
		}
		return Fail, reason
	case t.Selectors == nil && t.SelectorsError != nil:
		return Error, fmt.Sprintf("trail %s: could not read its event selectors: %s", t.Name, t.SelectorsError.Error())
	case t.Selectors == nil:
		return Error, fmt.Sprintf("trail %s: event selectors were not collected", t.Name)
	}
	events := append([]detection.Event{}, d.Positives...)
	for _, g := range d.AnyOf {
		events = append(events, g...)
	}
	var missed []string
	for _, e := range events {
		if p, ok := eventProbe(e); ok && !records(t.Selectors, p) {
			missed = append(missed, e.Name)
		}
	}
	if len(missed) > 0 {
		return Fail, fmt.Sprintf("trail %s is logging but its event selectors do not record %s", t.Name, eventList(missed))
	}
	return Pass, ""
}
