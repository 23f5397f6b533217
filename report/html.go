package report

import (
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/route"
)

// WriteHTML writes the report as one self-contained HTML page: no script, style sheet, font
// or image is loaded from anywhere (the page's Content-Security-Policy forbids it), so it can
// be mailed, attached to a CI run or opened offline. It holds:
//
//   - the summary: counts by status, the scope, the accounts that could not be read;
//   - a matrix of checks × accounts, each cell coloured by the worst status of that check in
//     that account (FAIL, ERROR, WAIVED, PASS; grey where the check had nothing to judge);
//   - every finding, failures first, with message, resource, fix, control ids, waiver and
//     evidence; a filter by status, severity, check and account runs in the page (the URL
//     fragment keeps it: report.html#status=FAIL&account=123456789012).
func WriteHTML(w io.Writer, r *Report) error {
	return htmlTemplate.Execute(w, htmlModel(r))
}

type htmlFinding struct {
	checks.Finding
	// Hops is the finding's path (checks.Finding.Path), nil when its evidence names none.
	Hops     []htmlHop
	Tags     []string
	Evidence string
	FixLine  string
}

// htmlHop is one hop of a finding's path: Class is holds, broken, undecided or unreached.
type htmlHop struct {
	Class, Mark, State, Text string
}

func htmlHops(hops []route.PathHop) []htmlHop {
	var out []htmlHop
	for _, h := range hops {
		class := string(h.State)
		if h.State == route.HopNotReached {
			class = "unreached"
		}
		text := h.Link.String()
		if h.Delivery != "" {
			text += " (" + string(h.Delivery) + ")"
		}
		out = append(out, htmlHop{Class: class, Mark: h.State.Mark(), State: string(h.State), Text: text})
	}
	return out
}

type htmlCell struct {
	Status string // worst status, "" for none
	Label  string
	Title  string
	Check  string
	Acct   string
}

type htmlRow struct {
	Check    string
	Title    string
	Severity string
	Cells    []htmlCell
}

type htmlPage struct {
	R          *Report
	Generated  string
	Accounts   []string
	Checks     []string
	Severities []string
	Rows       []htmlRow
	Findings   []htmlFinding
	Failures   []AccountFailure
	Statuses   []string
}

func htmlModel(r *Report) htmlPage {
	p := htmlPage{R: r, Generated: r.GeneratedAt.UTC().Format("2006-01-02 15:04:05 UTC"),
		Statuses: []string{"FAIL", "ERROR", "WAIVED", "PASS"}, Failures: UnreadableAccounts(r.Findings)}
	o := OverviewOf(r)
	p.Accounts = o.Accounts
	sevs := map[string]bool{}
	for _, f := range r.Findings {
		sevs[string(f.Severity)] = true
	}
	for _, s := range []checks.Severity{checks.Critical, checks.High, checks.Medium, checks.Low} {
		if sevs[string(s)] {
			p.Severities = append(p.Severities, string(s))
			delete(sevs, string(s))
		}
	}
	for s := range sevs {
		p.Severities = append(p.Severities, s)
	}
	for _, or := range o.Rows {
		c := or.Check
		p.Checks = append(p.Checks, c)
		row := htmlRow{Check: c, Title: or.Title, Severity: string(or.Severity)}
		for _, oc := range or.Cells {
			acct := oc.Account
			cell := htmlCell{Check: c, Acct: acct, Label: "–", Title: c + " in " + acct + ": no finding (nothing to judge)"}
			if oc.Worst != "" {
				var parts []string
				for _, st := range overviewStatuses {
					if n := oc.Counts[st]; n > 0 {
						parts = append(parts, fmt.Sprintf("%d %s", n, st))
					}
				}
				cell.Status = string(oc.Worst)
				cell.Label = string(oc.Worst)
				if n := oc.Counts[oc.Worst]; n > 1 {
					cell.Label = fmt.Sprintf("%s ×%d", oc.Worst, n)
				}
				cell.Title = c + " in " + acct + ": " + strings.Join(parts, ", ")
			}
			row.Cells = append(row.Cells, cell)
		}
		p.Rows = append(p.Rows, row)
	}
	fs := append([]checks.Finding(nil), r.Findings...)
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if statusOrder(a.Status) != statusOrder(b.Status) {
			return statusOrder(a.Status) < statusOrder(b.Status)
		}
		return a.Severity.Rank() > b.Severity.Rank()
	})
	for _, f := range fs {
		hf := htmlFinding{Finding: f, Hops: htmlHops(f.Path()), Tags: frameworkTags(f.Frameworks), Evidence: evidenceText(f)}
		if f.Fix != nil && f.Fix.Summary != "" {
			if f.Fix.Available {
				hf.FixLine = f.Fix.Summary + " — " + FixCommand(f.CheckID) + " (run without --apply first to see the plan)"
			} else {
				hf.FixLine = "by hand: " + f.Fix.Summary
			}
		}
		p.Findings = append(p.Findings, hf)
	}
	return p
}

var htmlTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="generator" content="{{.R.Tool.Name}} {{.R.Tool.Version}}">
<title>lookout: {{.R.Summary.Fail}} FAIL, {{.R.Summary.Error}} ERROR, {{.R.Summary.Pass}} PASS, {{.R.Summary.Waived}} WAIVED</title>
<style>
:root { --fail: #c62828; --error: #ef8f00; --waived: #6a5acd; --pass: #2e7d32; --none: #e4e6ea; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: #f6f8fa; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 10px; }
.muted { color: var(--muted); }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; margin-top: 16px; }
.card { min-width: 130px; padding: 12px 16px; border-radius: 8px; color: #fff; }
.card .n { font-size: 28px; font-weight: 700; display: block; }
.card.FAIL, .b.FAIL, td.FAIL { background: var(--fail); }
.card.ERROR, .b.ERROR, td.ERROR { background: var(--error); }
.card.WAIVED, .b.WAIVED, td.WAIVED { background: var(--waived); }
.card.PASS, .b.PASS, td.PASS { background: var(--pass); }
.notice { margin-top: 16px; padding: 10px 14px; border-left: 4px solid var(--error); background: #fff8e6; border-radius: 4px; }
table.matrix { border-collapse: separate; border-spacing: 3px; background: #fff; padding: 6px; border-radius: 8px; border: 1px solid var(--line); }
.matrix th { font-weight: 600; text-align: left; padding: 4px 8px; white-space: nowrap; }
.matrix thead th { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; text-align: center; }
.matrix td { min-width: 120px; text-align: center; color: #fff; font-weight: 600; font-size: 12px; padding: 6px 8px; border-radius: 4px; cursor: pointer; }
.matrix td.none { background: var(--none); color: var(--muted); font-weight: 400; cursor: default; }
.legend { margin: 8px 0 0; display: flex; gap: 14px; flex-wrap: wrap; }
.legend span::before { content: ""; display: inline-block; width: 12px; height: 12px; border-radius: 3px; margin-right: 5px; vertical-align: -1px; background: var(--c); }
form.filters { display: flex; gap: 12px; flex-wrap: wrap; align-items: end; background: #fff; padding: 10px 14px; border: 1px solid var(--line); border-radius: 8px; position: sticky; top: 0; z-index: 1; }
form.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
form.filters select { font: inherit; padding: 3px 6px; min-width: 150px; }
output { margin-left: auto; font-weight: 600; }
.finding { background: #fff; border: 1px solid var(--line); border-left: 6px solid var(--line); border-radius: 6px; padding: 10px 14px; margin: 10px 0; }
.finding.FAIL { border-left-color: var(--fail); }
.finding.ERROR { border-left-color: var(--error); }
.finding.WAIVED { border-left-color: var(--waived); }
.finding.PASS { border-left-color: var(--pass); }
.finding header { display: flex; gap: 8px; flex-wrap: wrap; align-items: baseline; }
.b { color: #fff; border-radius: 4px; padding: 1px 7px; font-size: 12px; font-weight: 700; }
.sev { font-size: 12px; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
.finding p { margin: 6px 0 0; overflow-wrap: anywhere; white-space: pre-wrap; }
.finding dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 8px 0 0; }
.finding dt { color: var(--muted); }
.finding dd { margin: 0; overflow-wrap: anywhere; }
ol.path { list-style: none; display: flex; flex-wrap: wrap; gap: 4px; padding: 0; margin: 4px 0 8px; }
ol.path li { padding: 1px 8px; border-radius: 10px; border: 1px solid var(--line); background: #fff; font-size: 12.5px; }
ol.path li + li::before { content: "→ "; color: var(--muted); }
ol.path li.broken { border-color: var(--fail); background: #fdecea; font-weight: 600; }
ol.path li.undecided { border-color: var(--error); background: #fff8e6; font-weight: 600; }
ol.path li.unreached { color: var(--muted); }
details pre { background: #f6f8fa; padding: 8px; border-radius: 4px; overflow: auto; max-height: 320px; }
.tag { display: inline-block; background: #eef1f4; border-radius: 3px; padding: 0 5px; margin: 0 4px 2px 0; font-size: 12px; }
[hidden] { display: none !important; }
</style>
</head>
<body>
<header>
<h1>lookout report</h1>
<div class="muted">{{len .R.Findings}} findings in {{len .R.Scope.Accounts}} account(s) and {{len .R.Scope.Regions}} region(s){{if .R.Scope.Shard}}, shard {{.R.Scope.Shard}}{{end}} · {{.R.Tool.Name}} {{.R.Tool.Version}} · {{.Generated}}</div>
<section class="cards" id="summary" aria-label="Summary">
<div class="card FAIL"><span class="n" id="count-FAIL">{{.R.Summary.Fail}}</span>FAIL</div>
<div class="card ERROR"><span class="n" id="count-ERROR">{{.R.Summary.Error}}</span>ERROR</div>
<div class="card WAIVED"><span class="n" id="count-WAIVED">{{.R.Summary.Waived}}</span>WAIVED</div>
<div class="card PASS"><span class="n" id="count-PASS">{{.R.Summary.Pass}}</span>PASS</div>
</section>
{{if .R.Summary.Error}}<div class="notice">The scan is incomplete: {{.R.Summary.Error}} finding(s) could not be evaluated (ERROR). Do not read a missing failure as fixed.</div>{{end}}
{{range .Failures}}<div class="notice account-failure" data-account="{{.Account}}"><strong>Account {{.Account}} could not be read</strong>, so its {{len .Checks}} check(s) are ERROR: <code>{{.Cause}}</code><br>Likely remedy: {{.Remedy}}</div>
{{end}}
</header>

<h2>Checks × accounts</h2>
<table class="matrix" id="matrix">
<thead><tr><th>check</th>{{range .Accounts}}<th scope="col">{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr><th scope="row" title="{{.Title}}">{{.Check}} <span class="sev">{{.Severity}}</span></th>{{range .Cells}}{{if .Status}}<td class="{{.Status}}" title="{{.Title}}" data-check="{{.Check}}" data-account="{{.Acct}}">{{.Label}}</td>{{else}}<td class="none" title="{{.Title}}">{{.Label}}</td>{{end}}{{end}}</tr>
{{end}}</tbody>
</table>
<div class="legend muted"><span style="--c: var(--fail)">FAIL</span><span style="--c: var(--error)">ERROR (could not evaluate)</span><span style="--c: var(--waived)">WAIVED</span><span style="--c: var(--pass)">PASS</span><span style="--c: var(--none)">no finding</span> · a cell shows the worst status of the check in the account; click it to list those findings</div>

<h2>Findings</h2>
<form class="filters" id="filters" onsubmit="return false">
<label>status<select name="status"><option value="">all</option>{{range .Statuses}}<option>{{.}}</option>{{end}}</select></label>
<label>severity<select name="severity"><option value="">all</option>{{range .Severities}}<option>{{.}}</option>{{end}}</select></label>
<label>check<select name="check"><option value="">all</option>{{range .Checks}}<option>{{.}}</option>{{end}}</select></label>
<label>account<select name="account"><option value="">all</option>{{range .Accounts}}<option>{{.}}</option>{{end}}</select></label>
<output id="shown" for="filters">{{len .Findings}} findings</output>
</form>
<section id="findings">
{{range .Findings}}<article class="finding {{.Status}}" data-status="{{.Status}}" data-severity="{{.Severity}}" data-check="{{.CheckID}}" data-account="{{.Account}}" data-region="{{.Region}}">
<header><span class="b {{.Status}}">{{.Status}}</span><span class="sev">{{.Severity}}</span><code>{{.CheckID}}</code><span>{{.Title}}</span><span class="muted">{{.Account}} · {{.Region}}</span></header>
<p class="message">{{.Message}}</p>
{{if .Hops}}<ol class="path" aria-label="path">{{range .Hops}}<li class="hop {{.Class}}" title="{{.State}}"><span class="mark">{{.Mark}}</span> {{.Text}}</li>{{end}}</ol>{{end}}
{{if .Detail}}<details class="why"><summary>why (the whole reasoning)</summary><p>{{.Detail}}</p></details>{{end}}
<dl>
{{if .Resource}}<dt>resource</dt><dd><code>{{.Resource}}</code></dd>{{end}}
{{if .FixLine}}<dt>fix</dt><dd>{{.FixLine}}</dd>{{end}}
{{if .Waiver}}<dt>waiver</dt><dd>{{.Waiver.Reason}} (expires {{.Waiver.Expires}})</dd>{{end}}
{{if .Tags}}<dt>controls</dt><dd>{{range .Tags}}<span class="tag">{{.}}</span>{{end}}</dd>{{end}}
</dl>
{{if .Evidence}}<details><summary>evidence (what lookout read)</summary><pre>{{.Evidence}}</pre></details>{{end}}
</article>
{{end}}</section>
<script>
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var shown = document.getElementById("shown");
  var items = Array.prototype.slice.call(document.querySelectorAll("#findings .finding"));
  var keys = ["status", "severity", "check", "account"];
  function current() {
    var f = {};
    keys.forEach(function (k) { f[k] = form.elements[k].value; });
    return f;
  }
  function apply(writeHash) {
    var f = current(), n = 0;
    items.forEach(function (el) {
      var ok = keys.every(function (k) { return !f[k] || el.dataset[k] === f[k]; });
      el.hidden = !ok;
      if (ok) { n++; }
    });
    shown.textContent = n + " of " + items.length + " findings shown";
    document.body.dataset.shown = String(n);
    if (writeHash) {
      var parts = keys.filter(function (k) { return f[k]; }).map(function (k) { return k + "=" + encodeURIComponent(f[k]); });
      history.replaceState(null, "", parts.length ? "#" + parts.join("&") : location.pathname + location.search);
    }
  }
  function fromHash() {
    var h = location.hash.replace(/^#/, "");
    keys.forEach(function (k) { form.elements[k].value = ""; });
    h.split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i < 0) { return; }
      var k = kv.slice(0, i), v = decodeURIComponent(kv.slice(i + 1));
      if (keys.indexOf(k) < 0) { return; }
      var sel = form.elements[k];
      for (var j = 0; j < sel.options.length; j++) {
        if (sel.options[j].value === v) { sel.value = v; }
      }
    });
  }
  form.addEventListener("change", function () { apply(true); });
  window.addEventListener("hashchange", function () { fromHash(); apply(false); });
  document.querySelectorAll("#matrix td[data-check]").forEach(function (td) {
    td.addEventListener("click", function () {
      form.elements.check.value = td.dataset.check;
      form.elements.account.value = td.dataset.account;
      form.elements.status.value = "";
      form.elements.severity.value = "";
      apply(true);
      form.scrollIntoView();
    });
  });
  fromHash();
  apply(false);
})();
</script>
</body>
</html>
`))
