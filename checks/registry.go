package checks

import (
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

// All returns every check. This list is the registry: a new check is one file plus one line
// here (the CIS monitoring family is one table, checks/cis_monitoring.go).
func All() []*Check {
	return append([]*Check{
		CloudTrailLogging(),
		StopLoggingRemediation(),
		RootUsageAlarm(),
		APIWithoutMFAAlarm(),
		ConsoleSigninWithoutMFAAlarm(),
		ConsoleSigninRule(),
		SSMAgentSSHLogs(),
		SSHLoginAlarm(),
		EC2StateChangeRule(),
		EC2InstanceSSMManaged(), EC2SSHOpenToInternet(),
	}, CISMonitoring()...)
}

// Select returns the checks named in ids (all checks for an empty list), or an error naming
// the unknown ids and listing the known ones.
func Select(ids []string) ([]*Check, error) {
	all := All()
	if len(ids) == 0 {
		return all, nil
	}
	byID := map[string]*Check{}
	for _, c := range all {
		byID[c.ID] = c
	}
	var out []*Check
	var unknown []string
	seen := map[string]bool{}
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		c, ok := byID[id]
		if !ok {
			unknown = append(unknown, id)
			continue
		}
		out = append(out, c)
	}
	if len(unknown) > 0 {
		known := make([]string, len(all))
		for i, c := range all {
			known[i] = c.ID
		}
		return nil, fmt.Errorf("unknown check id %s (known: %s)", strings.Join(unknown, ", "), strings.Join(known, ", "))
	}
	return out, nil
}

// Run evaluates the checks on the snapshot and returns the findings in report order.
// An account that could not be entered gets one ERROR finding per check rather than silence.
func Run(s *snapshot.Snapshot, list []*Check, opts Options) []Finding {
	if len(opts.SigninRegions) == 0 {
		opts.SigninRegions = DefaultSigninRegions
	}
	if opts.SSHLogMaxAge == 0 {
		opts.SSHLogMaxAge = DefaultSSHLogMaxAge
	}
	if opts.Now.IsZero() {
		opts.Now = s.CollectedAt
	}
	// Checks see only the accounts that were read; unreadable accounts are reported here once.
	readable := *s
	readable.Accounts = nil
	var out []Finding
	for _, a := range s.Accounts {
		if a.Error == nil {
			readable.Accounts = append(readable.Accounts, a)
			continue
		}
		for _, c := range list {
			f := c.readError(a.ID, "global", a.ID, a.Error, "account "+a.ID)
			f.Frameworks = maps.Clone(c.Frameworks)
			fitMessage(&f)
			out = append(out, f)
		}
	}
	// Checks only read the snapshot, so they run at once, one per CPU: over an organisation
	// the checks take seconds of CPU. Their findings are gathered in list order, then sorted.
	per := make([][]Finding, len(list))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(len(list), runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(list); i = int(next.Add(1) - 1) {
				c := list[i]
				fs := c.Run(c, &readable, opts)
				for j := range fs {
					fs[j].Frameworks = maps.Clone(c.Frameworks)
					fitMessage(&fs[j])
				}
				per[i] = fs
			}
		}()
	}
	wg.Wait()
	for _, fs := range per {
		out = append(out, fs...)
	}
	SortFindings(out)
	return out
}

// Framework is a compliance framework lookout maps its checks to: its key in reports
// ("cis-aws-7.0") and its published name, as the standard's owner spells it.
type Framework struct {
	ID   string
	Name string
}

// frameworks are the frameworks, in display order: the CIS AWS Foundations Benchmark versions
// and the control ids of AWS Security Hub CSPM.
var frameworks = [...]Framework{
	{ID: "cis-aws-1.4", Name: "CIS AWS Foundations Benchmark v1.4.0"},
	{ID: "cis-aws-3.0", Name: "CIS AWS Foundations Benchmark v3.0.0"},
	{ID: "cis-aws-5.0", Name: "CIS AWS Foundations Benchmark v5.0.0"},
	{ID: "cis-aws-7.0", Name: "CIS AWS Foundations Benchmark v7.0.0"},
	{ID: "aws-securityhub", Name: "AWS Security Hub controls"},
}

// Frameworks returns the frameworks in display order (a fresh slice).
func Frameworks() []Framework { return slices.Clone(frameworks[:]) }

// FrameworkIDs are the frameworks' keys, in display order.
func FrameworkIDs() []string {
	out := make([]string, len(frameworks))
	for i, f := range frameworks {
		out[i] = f.ID
	}
	return out
}

// FrameworkName is the published name of a framework key ("cis-aws-7.0" → "CIS AWS
// Foundations Benchmark v7.0.0"); an unknown key (a report from a newer lookout) is its own name.
func FrameworkName(id string) string {
	for _, f := range frameworks {
		if f.ID == id {
			return f.Name
		}
	}
	return id
}

// ForFramework returns the checks that implement a control of framework, in registry order,
// or an error naming the known frameworks.
func ForFramework(framework string) ([]*Check, error) {
	if !slices.Contains(FrameworkIDs(), framework) {
		return nil, fmt.Errorf("unknown framework %q (known: %s)", framework, strings.Join(FrameworkIDs(), ", "))
	}
	var out []*Check
	for _, c := range All() {
		if _, ok := c.Frameworks[framework]; ok {
			out = append(out, c)
		}
	}
	return out, nil
}

// cisMonitoring maps a CIS AWS Foundations "Monitoring" item to every framework: section 4 in
// v1.4 to v5.0, section 5 in v6.0 and v7.0 (CIS AWS Foundations Benchmark), and the Security
// Hub control that grades it, if any.
func cisMonitoring(item, securityHub string) map[string]string {
	m := map[string]string{"cis-aws-1.4": "4." + item, "cis-aws-3.0": "4." + item, "cis-aws-5.0": "4." + item, "cis-aws-7.0": "5." + item}
	if securityHub != "" {
		m["aws-securityhub"] = securityHub
	}
	return m
}

// SortFindings orders findings as the contract says: account, region, check id, resource.
func SortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		if a.Region != b.Region {
			return a.Region < b.Region
		}
		if a.CheckID != b.CheckID {
			return a.CheckID < b.CheckID
		}
		return a.Resource < b.Resource
	})
}
