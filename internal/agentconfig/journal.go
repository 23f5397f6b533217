package agentconfig

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

// The systemd units sshd runs as: sshd.service on Amazon Linux, the Red Hat family and SUSE,
// ssh.service on Debian and Ubuntu. Ubuntu's sshd.service is an alias (a symlink to
// ssh.service): journalctl --unit sshd.service matches _SYSTEMD_UNIT=sshd.service, which no
// entry carries there, so an alias selects nothing.
const (
	UnitSSHD = "sshd.service"
	UnitSSH  = "ssh.service"
)

// KnownSSHUnits are every unit SSHUnit can answer.
var KnownSSHUnits = []string{UnitSSHD, UnitSSH}

// SSHUnit returns the unit sshd runs as on the given SSM PlatformName, and false when the
// distribution is not one lookout knows.
func SSHUnit(platformName string) (string, bool) {
	switch p, _ := SSHLogPath(platformName); p {
	case AuthLog:
		return UnitSSH, true
	case Secure, Messages:
		return UnitSSHD, true
	}
	return "", false
}

// JournalOnly reports whether a distribution ships without a syslog daemon, so that sshd's
// lines reach only the journal unless one was installed: Amazon Linux 2023, and Debian 12 and
// later (which no longer install rsyslog).
func JournalOnly(platformName, platformVersion string) bool {
	p := strings.ToLower(platformName)
	switch {
	case strings.Contains(p, "amazon linux"):
		return strings.HasPrefix(platformVersion, "2023")
	case strings.Contains(p, "debian"):
		major, _, _ := strings.Cut(platformVersion, ".")
		n, err := strconv.Atoi(major)
		return err == nil && n >= 12
	}
	return false
}

// SyslogDaemons are the packages (SSM Inventory AWS:Application names) that write sshd's log
// file on a journal-only distribution once installed.
var SyslogDaemons = []string{"rsyslog", "syslog-ng"}

// PriorityLevel returns the numeric syslog level of a journald priority as the agent's
// configuration writes it (a name or 0-7); "" is the agent's default, info.
func PriorityLevel(p string) (int, bool) {
	names := []string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}
	if p == "" {
		return 6, true
	}
	if i := slices.Index(names, p); i >= 0 {
		return i, true
	}
	if n, err := strconv.Atoi(p); err == nil && n >= 0 && n <= 7 && len(p) == 1 {
		return n, true
	}
	return 0, false
}

// sshLoginMessage is the text sshd logs for a public-key login, at level info: the line the
// SSH-login alarm counts.
const sshLoginMessage = "Accepted publickey for ec2-user from 203.0.113.10 port 50522 ssh2: ED25519 SHA256:3Zt5bQ0nVJx0kz0hZ2tOQ6wM8kq3n0p1xXjvR4yM2aE"

// sshLoginLine is that message as a syslog daemon writes it to the file.
const sshLoginLine = "Dec  7 15:27:33 ip-10-0-1-5 sshd[24117]: " + sshLoginMessage

// sshLoginEntries are sshd's login entry in the journal as it differs between the systems
// lookout knows: OpenSSH 9.8 moved logins from sshd to sshd-session, and Red Hat's
// sshd_config logs to authpriv (facility 10) where sshd's default is auth (4). A match or a
// filter that decides the same on every variant is decided; one that differs depends on the
// instance. Fields not listed (a host name, a PID, a boot id) cannot be judged. _SYSTEMD_UNIT
// is the instance's unit, filled in per judgement.
func sshLoginEntries(unit string) []map[string]string {
	variants := []struct{ ident, exe, facility string }{
		{"sshd", "/usr/sbin/sshd", "4"},
		{"sshd", "/usr/sbin/sshd", "10"},
		{"sshd-session", "/usr/lib/openssh/sshd-session", "4"},
		{"sshd-session", "/usr/libexec/openssh/sshd-session", "10"},
	}
	out := make([]map[string]string, len(variants))
	for i, v := range variants {
		out[i] = map[string]string{
			"MESSAGE": sshLoginMessage, "PRIORITY": "6", "SYSLOG_FACILITY": v.facility,
			"SYSLOG_IDENTIFIER": v.ident, "_COMM": v.ident, "_EXE": v.exe,
			"_TRANSPORT": "syslog", "_UID": "0", "_GID": "0",
			"_SYSTEMD_SLICE": "system.slice", "_SYSTEMD_UNIT": unit,
		}
	}
	return out
}

// Carriage is whether a collect_list entry carries sshd's login lines: Ships, or not (Reason
// says why), or Unknown (Reason says what lookout cannot tell).
type Carriage struct {
	Ships   bool
	Unknown bool
	Reason  string
}

func ships() Carriage                          { return Carriage{Ships: true} }
func dropped(format string, a ...any) Carriage { return Carriage{Reason: fmt.Sprintf(format, a...)} }
func unknown(format string, a ...any) Carriage {
	return Carriage{Unknown: true, Reason: fmt.Sprintf(format, a...)}
}

// JournalCarriesSSH judges a journald entry as journalctl and the agent apply it to sshd's
// login entry on an instance whose sshd runs as unit: the units (OR-ed), the priority and the
// matches (each match's fields AND-ed, the matches OR-ed) select journal entries, joined by
// AND as journalctl joins --unit, --priority and field matches; then the filters run on the
// entry (any exclude drops it; with includes, at least one must match).
func JournalCarriesSSH(e snapshot.AgentJournalEntry, unit string) Carriage {
	if len(e.Units) > 0 && !slices.ContainsFunc(e.Units, func(u string) bool { return unitSelects(u, unit) }) {
		return dropped("its units (%s) do not include %s, the unit sshd runs as here", strings.Join(e.Units, ", "), unit)
	}
	if level, _ := PriorityLevel(e.Priority); level < 6 {
		return dropped("its priority %s collects only entries more severe than info, the level of sshd's login lines", e.Priority)
	}
	entries := sshLoginEntries(unit)
	if c := matchesCarry(e.Matches, entries); !c.Ships {
		return c
	}
	return journalFiltersCarry(e.Filters, entries)
}

// journalFiltersCarry applies the agent's journald filters to sshd's login entry as the
// filter sees it, the entry's fields as a JSON object (the journald receiver keeps every
// field in the log body): an exclude expression that matches drops it; with include
// expressions, at least one must match.
func journalFiltersCarry(filters []snapshot.AgentLogFilter, entries []map[string]string) Carriage {
	if len(filters) == 0 {
		return ships()
	}
	return decideOnEach(entries, func(entry map[string]string) Carriage {
		b, err := json.Marshal(entry)
		if err != nil {
			return unknown("%v", err)
		}
		body := string(b)
		var includes []string
		admitted := false
		for _, f := range filters {
			re, err := regexp.Compile(f.Expression)
			if err != nil {
				return dropped("its filter %q is not a regular expression the agent accepts", f.Expression)
			}
			match := re.MatchString(body)
			switch f.Type {
			case "exclude":
				if match {
					return dropped("its exclude filter %q drops sshd's login entries", f.Expression)
				}
			case "include":
				includes = append(includes, f.Expression)
				admitted = admitted || match
			}
		}
		if len(includes) > 0 && !admitted {
			return dropped("no include filter of it (%s) matches sshd's login entries", strings.Join(includes, ", "))
		}
		return ships()
	})
}

// decideOnEach judges every variant of sshd's entry: the same answer everywhere is the
// answer; answers that differ depend on the instance.
func decideOnEach(entries []map[string]string, judge func(map[string]string) Carriage) Carriage {
	first := judge(entries[0])
	for _, e := range entries[1:] {
		c := judge(e)
		if c.Unknown {
			return c
		}
		if c.Ships != first.Ships {
			return unknown("it depends on the instance's OpenSSH version or syslog facility: on some systems %s", first.Reason+c.Reason)
		}
	}
	return first
}

// FileFiltersCarrySSH judges a file entry's filters as the agent applies them to each line:
// published only if every include expression matches and no exclude expression does.
func FileFiltersCarrySSH(filters []snapshot.AgentLogFilter) Carriage {
	for _, f := range filters {
		re, err := regexp.Compile(f.Expression)
		if err != nil {
			return dropped("its filter %q is not a regular expression the agent accepts", f.Expression)
		}
		switch match := re.MatchString(sshLoginLine); {
		case f.Type == "include" && !match:
			return dropped("its include filter %q does not match sshd's login lines", f.Expression)
		case f.Type == "exclude" && match:
			return dropped("its exclude filter %q drops sshd's login lines", f.Expression)
		}
	}
	return ships()
}

// unitSelects reports whether journalctl --unit pattern selects the entries of unit. A name
// without a unit suffix means NAME.service; a glob (*, ?, [) is matched against unit names
// as written.
func unitSelects(pattern, unit string) bool {
	if strings.ContainsAny(pattern, "*?[") {
		ok, err := path.Match(pattern, unit)
		return err == nil && ok
	}
	if !hasUnitSuffix(pattern) {
		pattern += ".service"
	}
	return pattern == unit
}

func hasUnitSuffix(name string) bool {
	for _, s := range []string{".service", ".socket", ".target", ".device", ".mount", ".automount", ".swap", ".timer", ".path", ".slice", ".scope"} {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// matchesCarry evaluates journal field matches against sshd's login entry, three-valued:
// a match holds, fails, or depends on what lookout cannot see.
func matchesCarry(matches []map[string]string, entries []map[string]string) Carriage {
	if len(matches) == 0 {
		return ships()
	}
	var unknowns, fails []string
	for _, m := range matches {
		c := matchCarries(m, entries)
		switch {
		case c.Ships:
			return c
		case c.Unknown:
			unknowns = append(unknowns, c.Reason)
		default:
			fails = append(fails, c.Reason)
		}
	}
	if len(unknowns) > 0 {
		return unknown("whether its matches select sshd's login entries depends on what lookout cannot see: %s", strings.Join(unknowns, "; "))
	}
	return dropped("none of its matches selects sshd's login entries (%s)", strings.Join(fails, "; "))
}

// matchCarries evaluates one match (its fields AND-ed) on every variant of the entry.
func matchCarries(m map[string]string, entries []map[string]string) Carriage {
	fields := make([]string, 0, len(m))
	for k := range m {
		fields = append(fields, k)
	}
	slices.Sort(fields)
	for _, field := range fields {
		if _, known := entries[0][field]; !known {
			return unknown("%s=%s (a field lookout does not know for sshd's entries)", field, m[field])
		}
	}
	return decideOnEach(entries, func(entry map[string]string) Carriage {
		for _, field := range fields {
			if entry[field] != m[field] {
				return dropped("%s=%s, where sshd's entry carries %s=%s", field, m[field], field, entry[field])
			}
		}
		return ships()
	})
}

// Destination is a log group and stream, as a configuration writes them (placeholders kept),
// and whether a journald entry (rather than a file entry) sends there.
type Destination struct {
	Group, Stream string
	Journal       bool
}

// SSHDestinations are where a configuration's entries that may carry an SSH log on some
// distribution send it: a file entry covering a known SSH log path, a journald entry that
// selects, or may select, a known sshd unit. Platform-blind: the SSH-log check decides which
// entry counts on which distribution.
func SSHDestinations(cfg *snapshot.AgentConfig) []Destination {
	var out []Destination
	for _, f := range cfg.Files {
		if slices.ContainsFunc(KnownSSHLogPaths, func(p string) bool { return MatchPath(f.FilePath, p) }) {
			out = append(out, Destination{Group: f.LogGroupName, Stream: f.LogStreamName})
		}
	}
	for _, e := range cfg.Journal {
		if slices.ContainsFunc(KnownSSHUnits, func(u string) bool { c := JournalCarriesSSH(e, u); return c.Ships || c.Unknown }) {
			out = append(out, Destination{Group: e.LogGroupName, Stream: e.LogStreamName, Journal: true})
		}
	}
	return out
}
