package checks

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/lookout-audit/lookout/internal/route"
)

// Evidence is what a check read to reach a verdict, one exported type per kind. In JSON it is
// an object whose first member is "kind", so that a finding read back from a report (lookout
// merge, lookout explain) decodes to its type again rather than to a map.
type Evidence interface {
	// EvidenceKind names the type in JSON ("trail_chains", "rules", ...).
	EvidenceKind() string
}

// The kinds, each decoded to its own type by decodeEvidence.
func (ReadErrorEvidence) EvidenceKind() string      { return "read_error" }
func (TrailChainsEvidence) EvidenceKind() string    { return "trail_chains" }
func (LogGroupChainsEvidence) EvidenceKind() string { return "log_group_chains" }
func (CISMonitoringEvidence) EvidenceKind() string  { return "cis_monitoring" }
func (TrailsEvidence) EvidenceKind() string         { return "trails" }
func (InstanceEvidence) EvidenceKind() string       { return "instance" }
func (SSHLogsEvidence) EvidenceKind() string        { return "ssh_logs" }

var evidenceKinds = map[string]func([]byte) (Evidence, error){
	"read_error":       decodeAs[ReadErrorEvidence],
	"trail_chains":     decodeAs[TrailChainsEvidence],
	"log_group_chains": decodeAs[LogGroupChainsEvidence],
	"cis_monitoring":   decodeAs[CISMonitoringEvidence],
	"trails":           decodeAs[TrailsEvidence],
	"instance":         decodeAs[InstanceEvidence],
	"ssh_logs":         decodeAs[SSHLogsEvidence],
	"rules":            decodeAs[route.RuleEvidence],
}

// EvidenceKinds lists the kinds of evidence (for the report's schema).
func EvidenceKinds() map[string]Evidence {
	out := map[string]Evidence{}
	for k, dec := range evidenceKinds {
		e, _ := dec([]byte("{}"))
		out[k] = e
	}
	return out
}

func decodeAs[T Evidence](b []byte) (Evidence, error) {
	var v T
	err := json.Unmarshal(b, &v)
	return v, err
}

// RawEvidence is evidence of a kind this lookout does not know (a report written by a newer
// one) or that does not decode: kept as it was read, and written back unchanged.
type RawEvidence struct {
	Kind string
	JSON json.RawMessage
}

func (e RawEvidence) EvidenceKind() string         { return e.Kind }
func (e RawEvidence) MarshalJSON() ([]byte, error) { return e.JSON, nil }

// marshalEvidence writes e with its kind as the first member.
func marshalEvidence(e Evidence) (json.RawMessage, error) {
	if e == nil {
		return nil, nil
	}
	if raw, ok := e.(RawEvidence); ok {
		return raw.JSON, nil
	}
	b, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	if len(b) < 2 || b[0] != '{' {
		return nil, fmt.Errorf("evidence of kind %s is not a JSON object", e.EvidenceKind())
	}
	kind, _ := json.Marshal(e.EvidenceKind())
	out := append([]byte(`{"kind":`), kind...)
	if !bytes.Equal(b, []byte("{}")) {
		out = append(out, ',')
	}
	return append(out, b[1:]...), nil
}

// decodeEvidence reads evidence by its kind; anything else is kept as RawEvidence.
func decodeEvidence(b json.RawMessage) Evidence {
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return nil
	}
	var head struct {
		Kind string `json:"kind"`
	}
	raw := RawEvidence{JSON: append(json.RawMessage(nil), b...)}
	if json.Unmarshal(b, &head) != nil {
		return raw
	}
	raw.Kind = head.Kind
	dec, ok := evidenceKinds[head.Kind]
	if !ok {
		return raw
	}
	e, err := dec(b)
	if err != nil {
		return raw
	}
	return e
}

// findingJSON is a finding as the JSON report writes it, with its evidence kind-tagged.
type findingJSON struct {
	CheckID    string            `json:"check_id"`
	Title      string            `json:"title"`
	Severity   Severity          `json:"severity"`
	Status     Status            `json:"status"`
	Account    string            `json:"account"`
	Region     string            `json:"region"`
	Resource   string            `json:"resource"`
	Message    string            `json:"message"`
	Detail     string            `json:"detail,omitempty"`
	Evidence   json.RawMessage   `json:"evidence,omitempty"`
	Fix        *FixHint          `json:"fix,omitempty"`
	Frameworks map[string]string `json:"frameworks,omitempty"`
	Waiver     *WaiverNote       `json:"waiver,omitempty"`
}

// MarshalJSON writes the finding of the JSON report.
func (f Finding) MarshalJSON() ([]byte, error) {
	ev, err := marshalEvidence(f.Evidence)
	if err != nil {
		return nil, fmt.Errorf("finding %s %s: %w", f.CheckID, f.Resource, err)
	}
	return json.Marshal(findingJSON{f.CheckID, f.Title, f.Severity, f.Status, f.Account, f.Region, f.Resource, f.Message, f.Detail, ev, f.Fix, f.Frameworks, f.Waiver})
}

// UnmarshalJSON reads a finding of a JSON report, its evidence decoded to its kind's type.
func (f *Finding) UnmarshalJSON(b []byte) error {
	var j findingJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*f = Finding{CheckID: j.CheckID, Title: j.Title, Severity: j.Severity, Status: j.Status, Account: j.Account, Region: j.Region,
		Resource: j.Resource, Message: j.Message, Detail: j.Detail, Evidence: decodeEvidence(j.Evidence), Fix: j.Fix, Frameworks: j.Frameworks, Waiver: j.Waiver}
	return nil
}

// cisMonitoringJSON is CISMonitoringEvidence as written, its metric filter route kind-tagged.
type cisMonitoringJSON struct {
	Broken            *route.BrokenLink              `json:"broken_link,omitempty"`
	Route             string                         `json:"route,omitempty"`
	MetricFilterRoute json.RawMessage                `json:"metric_filter_route"`
	EventBridgeRoute  map[string]RegionRouteEvidence `json:"eventbridge_route,omitempty"`
}

// MarshalJSON writes the evidence with its metric filter route's kind.
func (e CISMonitoringEvidence) MarshalJSON() ([]byte, error) {
	mf, err := marshalEvidence(e.MetricFilterRoute)
	if err != nil {
		return nil, err
	}
	if mf == nil {
		mf = json.RawMessage("null")
	}
	return json.Marshal(cisMonitoringJSON{e.Broken, e.Route, mf, e.EventBridgeRoute})
}

// UnmarshalJSON reads the evidence back, its metric filter route decoded by kind.
func (e *CISMonitoringEvidence) UnmarshalJSON(b []byte) error {
	var j cisMonitoringJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*e = CISMonitoringEvidence{ChainBreak: route.ChainBreak{Broken: j.Broken}, Route: j.Route, MetricFilterRoute: decodeEvidence(j.MetricFilterRoute), EventBridgeRoute: j.EventBridgeRoute}
	return nil
}
