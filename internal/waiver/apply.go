package waiver

import (
	"fmt"
	"time"

	"github.com/lookout-audit/lookout/checks"
)

// Scope is what the scan covered, so that a waiver for a check that was not run, or for an
// account or region outside this scan (another shard), is not reported as matching nothing.
type Scope struct {
	Checks   []string
	Accounts []string
	Regions  []string
}

// Outcome is the result of applying a waivers file.
type Outcome struct {
	// Findings are the input findings with waived FAILs turned WAIVED.
	Findings []checks.Finding
	// Warnings are one line each: expired waivers, and waivers that match no FAIL finding.
	Warnings []string
}

// Matches reports whether the waiver's patterns match the finding (whatever its status).
func (w *Waiver) Matches(f checks.Finding) bool {
	return Glob(w.Check, f.CheckID) &&
		matchOptional(w.Account, f.Account) &&
		matchOptional(w.Region, f.Region) &&
		matchOptional(w.Resource, f.Resource)
}

// Apply applies the file's waivers at time now. Only FAIL findings are waived: a PASS needs no
// waiver and an ERROR is not a verdict that could be accepted. The first current waiver in file
// order that matches a FAIL wins. An expired waiver never applies and always yields a warning;
// a current waiver that matches no FAIL yields a warning too, unless it matches an ERROR
// finding (its target could not be evaluated) or lies outside the scope of this scan.
func Apply(f *File, findings []checks.Finding, sc Scope, now time.Time) Outcome {
	out := Outcome{Findings: append([]checks.Finding(nil), findings...)}
	if f == nil {
		return out
	}
	used := make([]int, len(f.Waivers))       // FAILs waived by each waiver
	wouldMatch := make([]int, len(f.Waivers)) // FAILs matched by each expired waiver
	errMatch := make([]bool, len(f.Waivers))  // matches an ERROR finding
	for i := range out.Findings {
		fd := &out.Findings[i]
		status := fd.Status // before any waiver of this loop changed it
		waived := false
		for wi := range f.Waivers {
			w := &f.Waivers[wi]
			if !w.Matches(*fd) {
				continue
			}
			switch {
			case status == checks.Error:
				errMatch[wi] = true
			case status != checks.Fail:
			case w.Expired(now):
				wouldMatch[wi]++
			case !waived:
				waived = true
				used[wi]++
				fd.Status = checks.Waived
				fd.Waiver = &checks.WaiverNote{Reason: w.Reason, Expires: w.Expires}
			default:
				// An earlier waiver already took this finding; this one still matched it.
				used[wi]++
			}
		}
	}
	for wi := range f.Waivers {
		w := &f.Waivers[wi]
		switch {
		case w.Expired(now):
			msg := fmt.Sprintf("waiver %s expired on %s and no longer applies", w.describe(f.Path), w.Expires)
			if wouldMatch[wi] > 0 {
				msg += fmt.Sprintf(": %d FAIL finding(s) it matched count again", wouldMatch[wi])
			}
			out.Warnings = append(out.Warnings, msg)
		case used[wi] > 0 || errMatch[wi] || !w.inScope(sc):
		default:
			out.Warnings = append(out.Warnings, fmt.Sprintf(
				"waiver %s matches no FAIL finding in this scan; remove it if the problem is fixed", w.describe(f.Path)))
		}
	}
	return out
}

// inScope reports whether the scan could have produced a finding the waiver matches.
func (w *Waiver) inScope(sc Scope) bool {
	return anyMatch(w.Check, sc.Checks) &&
		(w.Account == "" || anyMatch(w.Account, sc.Accounts)) &&
		(w.Region == "" || anyMatch(w.Region, append([]string{"global"}, sc.Regions...)))
}

func anyMatch(pattern string, values []string) bool {
	for _, v := range values {
		if Glob(pattern, v) {
			return true
		}
	}
	return false
}
