package report

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/route"
	"github.com/lookout-audit/lookout/internal/version"
)

// GitHub code scanning's upload limits (docs "SARIF support for code scanning", sarif-limits).
// Past the hard limits GitHub rejects the upload; past SARIFShownResults it keeps only the
// most severe results and drops the rest without an error.
const (
	SARIFMaxResults     = 25000
	SARIFShownResults   = 5000
	SARIFMaxGzipedBytes = 10 << 20
)

// HelpURIBase is where each rule's helpUri points: the README has one anchor per check id.
const HelpURIBase = "https://github.com/lookout-audit/lookout#"

// SARIFOptions controls WriteSARIF.
type SARIFOptions struct {
	// Warnings receives one line per soft-limit problem (e.g. more results than GitHub shows).
	Warnings io.Writer
	// Checks supplies rule metadata; nil means the whole registry (checks.All).
	Checks []*checks.Check
}

// SARIFLimitError says the document would break one of GitHub's hard upload limits. Nothing is
// written then: a truncated upload would make GitHub close the missing alerts as fixed.
type SARIFLimitError struct {
	Limit  string
	Actual int
	Max    int
}

func (e *SARIFLimitError) Error() string {
	return fmt.Sprintf("SARIF not written: %d %s exceeds GitHub code scanning's limit of %d; "+
		"split the scan (--accounts, --regions or --shard K/N: each shard gets its own SARIF category) "+
		"or use --format json", e.Actual, e.Limit, e.Max)
}

// WriteSARIF writes the report as SARIF 2.1.0 shaped for GitHub code scanning (following
// GitHub Docs, "SARIF support for code scanning"):
//
//   - one run, one rule per check, and a result only for each FAIL finding: WAIVED findings were
//     accepted, and ERROR findings are not verdicts (they are listed as tool execution
//     notifications, and the run is marked unsuccessful);
//   - each result has a scheme-less relative location aws/<account>/<region>/<service>/<resource>
//     at line 1 (GitHub rejects URIs with a scheme, so an ARN cannot be the uri) and a logical
//     location holding the full resource ARN;
//   - partialFingerprints.primaryLocationLineHash depends only on (check, partition, account,
//     region, resource), so an alert survives message and severity changes across runs;
//   - automationDetails.id is SARIFCategory(r.Scope), so jobs scanning different scopes do not
//     close each other's alerts.
func WriteSARIF(w io.Writer, r *Report, opts SARIFOptions) error {
	results := 0
	for i := range r.Findings {
		if r.Findings[i].Status == checks.Fail {
			results++
		}
	}
	if results > SARIFMaxResults {
		return &SARIFLimitError{Limit: "results in one run", Actual: results, Max: SARIFMaxResults}
	}
	// The document is written once, into gzip: nothing reaches w before its gzipped size is
	// known to be within GitHub's limit, and what is held meanwhile is the gzipped text (at
	// most the limit), not the document.
	var gz cappedBuffer
	gz.limit = SARIFMaxGzipedBytes
	zw := gzip.NewWriter(&gz)
	// Encoding and compressing take about as long as each other: one goroutine each.
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(streamSARIF(pw, r, opts.Checks)) }()
	if _, err := io.Copy(zw, pr); err != nil {
		pr.CloseWithError(err)
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if gz.n > SARIFMaxGzipedBytes {
		return &SARIFLimitError{Limit: "bytes of gzipped SARIF", Actual: gz.n, Max: SARIFMaxGzipedBytes}
	}
	if results > SARIFShownResults && opts.Warnings != nil {
		fmt.Fprintf(opts.Warnings, "lookout: warning: %d SARIF results; GitHub code scanning shows only the %d most severe of one run\n",
			results, SARIFShownResults)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz.buf))
	if err != nil {
		return err
	}
	_, err = io.Copy(w, zr)
	return err
}

// cappedBuffer keeps what is written to it up to limit bytes and counts the rest.
type cappedBuffer struct {
	buf      []byte
	n, limit int
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	c.n += len(p)
	if c.n <= c.limit {
		c.buf = append(c.buf, p...)
	} else {
		c.buf = nil
	}
	return len(p), nil
}

// sarifResultsMarker is the run's empty results array in the document encodeSARIF writes
// without results: the run's keys are at depth three (six spaces; no newline occurs inside
// a JSON string), and a SARIF log of lookout has one run.
var sarifResultsMarker = []byte("\n      \"results\": [],\n")

// streamSARIF writes what encodeSARIF(buildSARIF(r, list, true)) writes, byte for byte, but
// builds the document without its results and writes the results one at a time where the
// empty array was, each encoded as encodeSARIF would (go-sarif's JSON, its placeholders
// pruned, keys in order, indented at its depth).
func streamSARIF(w io.Writer, r *Report, list []*checks.Check) error {
	doc, ruleIndex, byID := buildSARIF(r, list, false)
	head, err := encodeSARIF(doc)
	if err != nil {
		return err
	}
	text := head.Bytes()
	at := bytes.Index(text, sarifResultsMarker)
	bw := bufio.NewWriterSize(w, 64<<10)
	if at < 0 {
		return errors.New("encoding SARIF: the run has no results array")
	}
	bw.Write(text[:at])
	bw.WriteString("\n      \"results\": [")
	var one bytes.Buffer
	enc := json.NewEncoder(&one)
	enc.SetIndent("        ", "  ")
	enc.SetEscapeHTML(false)
	n := 0
	for _, f := range r.Findings {
		if f.Status != checks.Fail {
			continue
		}
		raw, err := json.Marshal(resultFor(f, byID[f.CheckID], ruleIndex[f.CheckID]))
		if err != nil {
			return fmt.Errorf("encoding SARIF: %w", err)
		}
		tree, err := decodeNumbers(raw)
		if err != nil {
			return fmt.Errorf("encoding SARIF: %w", err)
		}
		one.Reset()
		if err := enc.Encode(pruneAbsent(tree)); err != nil {
			return fmt.Errorf("encoding SARIF: %w", err)
		}
		if n > 0 {
			bw.WriteByte(',')
		}
		n++
		bw.WriteString("\n        ")
		bw.Write(bytes.TrimSuffix(one.Bytes(), []byte("\n")))
	}
	if n > 0 {
		bw.WriteString("\n      ],\n")
	} else {
		bw.WriteString("],\n")
	}
	bw.Write(text[at+len(sarifResultsMarker):])
	return bw.Flush()
}

func decodeNumbers(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var tree any
	err := dec.Decode(&tree)
	return tree, err
}

// encodeSARIF writes the document as indented JSON without go-sarif's placeholders for absent
// values (empty arrays, -1 indexes and offsets): they are valid SARIF but are noise, count
// against GitHub's size limit, and give consumers a -1 artifact index to misread.
func encodeSARIF(doc *sarif.Report) (*bytes.Buffer, error) {
	var raw bytes.Buffer
	if err := doc.Write(&raw); err != nil {
		return nil, fmt.Errorf("encoding SARIF: %w", err)
	}
	tree, err := decodeNumbers(raw.Bytes())
	if err != nil {
		return nil, fmt.Errorf("encoding SARIF: %w", err)
	}
	tree = pruneAbsent(tree)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(tree); err != nil {
		return nil, fmt.Errorf("encoding SARIF: %w", err)
	}
	return &buf, nil
}

// absentMinusOne are the integer properties for which SARIF defines -1 as "absent".
var absentMinusOne = map[string]bool{
	"index": true, "parentIndex": true, "byteOffset": true, "charOffset": true, "id": true, "rank": true,
}

// keepEmpty are arrays whose presence means something: an empty results array says "scanned,
// nothing found", which is what closes fixed alerts.
var keepEmpty = map[string]bool{"results": true, "rules": true, "runs": true}

func pruneAbsent(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, child := range t {
			switch c := child.(type) {
			case []any:
				if len(c) == 0 && !keepEmpty[k] {
					delete(t, k)
					continue
				}
			case json.Number:
				if absentMinusOne[k] && c.String() == "-1" {
					delete(t, k)
					continue
				}
			case map[string]any:
				if len(c) == 0 && k == "properties" {
					delete(t, k)
					continue
				}
			}
			t[k] = pruneAbsent(child)
		}
	case []any:
		for i := range t {
			t[i] = pruneAbsent(t[i])
		}
	}
	return v
}

// buildSARIF builds the SARIF document of r, with its results or (withResults false) with an
// empty results array; it returns the rules' indexes and checks by id too.
func buildSARIF(r *Report, list []*checks.Check, withResults bool) (*sarif.Report, map[string]int, map[string]*checks.Check) {
	if list == nil {
		list = checks.All()
	}
	byID := map[string]*checks.Check{}
	for _, c := range list {
		byID[c.ID] = c
	}
	// Rules: every known check, then any check id met in findings that this build does not know
	// (a merged report from another version), described from the finding itself.
	var rules []*sarif.ReportingDescriptor
	ruleIndex := map[string]int{}
	addRule := func(rd *sarif.ReportingDescriptor) {
		ruleIndex[*rd.ID] = len(rules)
		rules = append(rules, rd)
	}
	for _, c := range list {
		addRule(ruleFor(c))
	}
	var unknown []string
	firstOf := map[string]checks.Finding{}
	for _, f := range r.Findings {
		if _, ok := byID[f.CheckID]; !ok {
			if _, seen := firstOf[f.CheckID]; !seen {
				unknown = append(unknown, f.CheckID)
				firstOf[f.CheckID] = f
			}
		}
	}
	sort.Strings(unknown)
	for _, id := range unknown {
		f := firstOf[id]
		addRule(ruleFor(&checks.Check{ID: id, Title: f.Title, Severity: f.Severity, Frameworks: f.Frameworks}))
	}

	run := sarif.NewRun()
	driver := sarif.NewToolComponent().
		WithName(version.Name).
		WithVersion(version.Version).
		WithSemanticVersion(version.Version).
		WithInformationURI("https://github.com/lookout-audit/lookout")
	driver.Rules = rules
	run.Tool = sarif.NewTool().WithDriver(driver)
	run.AutomationDetails = sarif.NewRunAutomationDetails().
		WithID(SARIFCategory(r.Scope)).
		WithDescription(sarif.NewMessage().WithText(scopeDescription(r.Scope)))

	inv := sarif.NewInvocation()
	successful := true
	for _, f := range r.Findings {
		switch f.Status {
		case checks.Fail:
			if withResults {
				run.AddResult(resultFor(f, byID[f.CheckID], ruleIndex[f.CheckID]))
			}
		case checks.Error:
			successful = false
			n := sarif.NewNotification().
				WithLevel(sarif.LevelError).
				WithDescriptor(sarif.NewReportingDescriptorReference().WithID(f.CheckID)).
				WithMessage(sarif.NewMessage().WithText(fmt.Sprintf("%s could not be evaluated in account %s, region %s (%s): %s",
					f.CheckID, f.Account, f.Region, f.Resource, f.Message)))
			inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, n)
		}
	}
	inv.ExecutionSuccessful = &successful
	run.Invocations = []*sarif.Invocation{inv}

	doc := sarif.NewReport()
	// The OASIS errata URI: the schema's own id, which GitHub and validators recognise.
	doc.Schema = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	doc.AddRun(run)
	return doc, ruleIndex, byID
}

// securitySeverity maps a severity onto GitHub's security-severity scale (a string, "0.1" to
// "10.0": 9.0 and up is critical, 7.0 high, 4.0 medium, below that low).
func securitySeverity(s checks.Severity) string {
	switch s {
	case checks.Critical:
		return "9.5"
	case checks.High:
		return "8.0"
	case checks.Medium:
		return "5.5"
	case checks.Low:
		return "3.0"
	}
	return "5.0"
}

// level is the SARIF level of a severity: GitHub uses it where security-severity is absent.
func level(s checks.Severity) string {
	switch s {
	case checks.Critical, checks.High:
		return sarif.LevelError
	case checks.Low:
		return sarif.LevelNote
	}
	return sarif.LevelWarning
}

// FixCommand is the command that remediates one check's failures (plan first, then --apply).
func FixCommand(checkID string) string {
	return "lookout fix --checks " + checkID + " --apply"
}

func ruleFor(c *checks.Check) *sarif.ReportingDescriptor {
	full := c.Title
	if c.Verifies != "" {
		full = c.Verifies
	}
	var text, md strings.Builder
	fmt.Fprintf(&text, "%s\n\nPASS requires: %s\n", c.Title, orNone(c.Verifies))
	fmt.Fprintf(&md, "**%s** (severity: %s)\n\n**PASS requires:** %s\n", c.Title, orNone(string(c.Severity)), orNone(c.Verifies))
	if c.Remediation != "" {
		fmt.Fprintf(&text, "\nRemediation: %s\n", c.Remediation)
		fmt.Fprintf(&md, "\n**Remediation:** %s\n", c.Remediation)
	}
	if c.FixSummary != "" {
		fmt.Fprintf(&text, "\nAutomatic fix: %s\n  %s   (run without --apply first to see the plan)\n", c.FixSummary, FixCommand(c.ID))
		fmt.Fprintf(&md, "\n**Automatic fix:** %s\n\n```sh\n# review the plan, then apply it\nlookout fix --checks %s\n%s\n```\n", c.FixSummary, c.ID, FixCommand(c.ID))
	} else {
		text.WriteString("\nAutomatic fix: none; lookout fix does not change this control.\n")
		md.WriteString("\n**Automatic fix:** none; `lookout fix` does not change this control.\n")
	}
	fmt.Fprintf(&md, "\nSee [%s](%s%s).\n", c.ID, HelpURIBase, c.ID)

	props := sarif.NewPropertyBag().
		Add("security-severity", securitySeverity(c.Severity)).
		WithTags(ruleTags(c))
	if len(c.Frameworks) > 0 {
		props.Add("frameworks", c.Frameworks)
	}
	return sarif.NewReportingDescriptor().
		WithID(c.ID).
		WithName(ruleName(c.ID)).
		WithShortDescription(sarif.NewMultiformatMessageString().WithText(c.Title)).
		WithFullDescription(sarif.NewMultiformatMessageString().WithText(full)).
		WithHelp(sarif.NewMultiformatMessageString().WithText(text.String()).WithMarkdown(md.String())).
		WithHelpURI(HelpURIBase + c.ID).
		WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(level(c.Severity))).
		WithProperties(props)
}

func orNone(s string) string {
	if s == "" {
		return "(not described)"
	}
	return s
}

func ruleTags(c *checks.Check) []string {
	tags := []string{"security", "aws", "detection"}
	if c.Service != "" {
		tags = append(tags, c.Service)
	}
	if c.Severity != "" {
		tags = append(tags, string(c.Severity))
	}
	// "framework/control" (e.g. "cis-aws-7.0/5.3"): GitHub code scanning filters alerts by
	// tag, so a team can list the failures of one benchmark.
	return append(tags, frameworkTags(c.Frameworks)...)
}

// ruleName turns "cloudtrail-logging" into "CloudtrailLogging", the PascalCase SARIF suggests.
func ruleName(id string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(id, func(r rune) bool { return r == '-' || r == '_' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

func resultFor(f checks.Finding, c *checks.Check, ruleIdx int) *sarif.Result {
	service := ""
	if c != nil {
		service = c.Service
	}
	uri := LocationURI(f, service)
	logical := sarif.NewLogicalLocation().
		WithName(resourceName(f.Resource)).
		WithFullyQualifiedName(f.Resource).
		WithKind("resource")
	loc := sarif.NewLocation().
		WithPhysicalLocation(sarif.NewPhysicalLocation().
			WithArtifactLocation(sarif.NewArtifactLocation().WithURI(uri)).
			WithRegion(sarif.NewSimpleRegion(1, 1))).
		WithLogicalLocations([]*sarif.LogicalLocation{logical})

	res := sarif.NewRuleResult(f.CheckID).
		WithRuleIndex(ruleIdx).
		WithLevel(level(f.Severity)).
		WithMessage(sarif.NewTextMessage(resultMessage(f))).
		WithLocations([]*sarif.Location{loc}).
		WithPartialFingerprints(map[string]string{"primaryLocationLineHash": Fingerprint(f)})
	if hops := f.Path(); hops != nil {
		res.WithCodeFlows([]*sarif.CodeFlow{pathFlow(hops, uri)})
	}
	props := sarif.NewPropertyBag().
		Add("account", f.Account).
		Add("region", f.Region).
		Add("resource", f.Resource).
		Add("severity", string(f.Severity))
	if f.Fix != nil {
		props.Add("fix_available", f.Fix.Available)
		if f.Fix.Summary != "" {
			props.Add("fix_summary", f.Fix.Summary)
		}
	}
	res.Properties = props
	return res
}

// pathFlow is a finding's path as a SARIF code flow, which GitHub code scanning shows as the
// alert's path: one thread flow location per hop, in the order events travel, each at the
// result's location with a message saying what became of the hop; the broken hop is
// essential, the ones it stopped the events reaching unimportant.
func pathFlow(hops []route.PathHop, uri string) *sarif.CodeFlow {
	tf := sarif.NewThreadFlow()
	for i, h := range hops {
		text := h.String() + ": " + string(h.State)
		importance := "important"
		switch h.State {
		case route.HopBroken, route.HopUndecided:
			importance = "essential"
		case route.HopNotReached:
			importance = "unimportant"
		}
		loc := sarif.NewLocation().
			WithPhysicalLocation(sarif.NewPhysicalLocation().
				WithArtifactLocation(sarif.NewArtifactLocation().WithURI(uri)).
				WithRegion(sarif.NewSimpleRegion(1, 1))).
			WithMessage(sarif.NewTextMessage(text))
		tfl := sarif.NewThreadFlowLocation().WithLocation(loc).WithImportance(importance).WithExecutionOrder(i)
		tf.AddLocation(tfl)
	}
	return sarif.NewCodeFlow().
		WithMessage(sarif.NewTextMessage("path: " + route.ShortPath(hops))).
		WithThreadFlows([]*sarif.ThreadFlow{tf})
}

// resultMessage opens with a sentence that stands alone (GitHub shows only the first sentence
// where space is short), then gives the check's own reason and the fix.
func resultMessage(f checks.Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s check failed in account %s, region %s.", f.CheckID, f.Account, f.Region)
	if m := strings.TrimSpace(f.Message); m != "" {
		b.WriteString(" " + sentence(m))
	}
	if f.Fix != nil && f.Fix.Summary != "" {
		if f.Fix.Available {
			fmt.Fprintf(&b, " Fix: %s (lookout fix --checks %s).", strings.TrimSuffix(f.Fix.Summary, "."), f.CheckID)
		} else {
			fmt.Fprintf(&b, " Fix by hand: %s.", strings.TrimSuffix(f.Fix.Summary, "."))
		}
	}
	return b.String()
}

// sentence capitalises s and ends it with a full stop.
func sentence(s string) string {
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// Fingerprint is the primaryLocationLineHash of a finding: a hash of (check, partition,
// account, region, resource) only, so the same problem keeps one alert across runs whatever
// its message, severity or time.
func Fingerprint(f checks.Finding) string {
	// A JSON array keeps field boundaries unambiguous ("a|b","c" is not "a","b|c").
	key, _ := json.Marshal([]string{f.CheckID, partition(f.Resource), f.Account, f.Region, f.Resource})
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:16]) + ":1"
}

// partition is the ARN's partition ("aws", "aws-cn", "aws-us-gov"), or "aws" for a non-ARN id.
func partition(resource string) string {
	if p := arnPartition(resource); p != "" {
		return p
	}
	return "aws"
}

// arnPartition is the partition an ARN names, or "" when resource is not an ARN.
func arnPartition(resource string) string {
	a, err := arn.Parse(resource)
	if err != nil {
		return ""
	}
	return a.Partition
}

// resourceName is the short name of a resource: an ARN's resource part, else the id itself.
func resourceName(resource string) string {
	if a, err := arn.Parse(resource); err == nil {
		return a.Resource
	}
	return resource
}

// LocationURI is the relative, scheme-less artifact URI of a finding:
// aws/<account>/<region>/<service>/<resource>. Every segment is percent-escaped down to
// unreserved characters (so no ':' and no space can appear anywhere); an ARN contributes its
// resource part, whose '/' separators are kept as path segments. The service is the one the
// resource ARN names (a trail is filed under cloudtrail whichever check found it); fallback,
// the service of the check, is used only for a resource that is no ARN (an instance id).
func LocationURI(f checks.Finding, fallback string) string {
	service := serviceFromARN(f.Resource)
	if service == "unknown" && fallback != "" {
		service = fallback
	}
	segs := []string{"aws", escapeSegment(f.Account), escapeSegment(f.Region), escapeSegment(service)}
	for _, p := range strings.Split(resourceName(f.Resource), "/") {
		segs = append(segs, escapeSegment(p))
	}
	return strings.Join(segs, "/")
}

func serviceFromARN(resource string) string {
	if a, err := arn.Parse(resource); err == nil && a.Service != "" {
		return a.Service
	}
	return "unknown"
}

// escapeSegment percent-encodes every byte but RFC 3986 unreserved characters, and spells
// the empty, "." and ".." segments so that no consumer can normalise them away.
func escapeSegment(s string) string {
	switch s {
	case "":
		return "-"
	case ".":
		return "%2E"
	case "..":
		return "%2E%2E"
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// SARIFCategory is the run's automationDetails.id, "lookout/<scope>/". GitHub closes the alerts
// of a category that are missing from its next upload, so two jobs scanning different scopes
// must use different categories, and one job must keep the same category from run to run:
//
//   - one account: the account id ("lookout/123456789012/");
//   - several accounts: "accounts-" and the first 12 hex digits of the SHA-256 of the sorted
//     ids joined by commas ("lookout/accounts-3f9a0c1d2b4e/"), so the category changes when
//     the set of accounts changes;
//   - a shard of a sharded scan adds "-shard-K-of-N".
//
// Regions are not part of it: a job that narrows its regions replaces its own picture.
func SARIFCategory(sc Scope) string {
	accounts := append([]string(nil), sc.Accounts...)
	sort.Strings(accounts)
	var seg string
	switch len(accounts) {
	case 0:
		seg = "no-accounts"
	case 1:
		seg = escapeSegment(accounts[0])
	default:
		sum := sha256.Sum256([]byte(strings.Join(accounts, ",")))
		seg = "accounts-" + hex.EncodeToString(sum[:6])
	}
	if sc.Shard != "" {
		seg += "-shard-" + escapeSegment(strings.ReplaceAll(sc.Shard, "/", "-of-"))
	}
	return "lookout/" + seg + "/"
}

func scopeDescription(sc Scope) string {
	d := fmt.Sprintf("lookout scan of %d account(s) (%s) in %d region(s) (%s)",
		len(sc.Accounts), strings.Join(sc.Accounts, ", "), len(sc.Regions), strings.Join(sc.Regions, ", "))
	if sc.Shard != "" {
		d += ", shard " + sc.Shard
	}
	return d
}
