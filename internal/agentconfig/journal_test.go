package agentconfig

import (
	"strings"
	"testing"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

func TestJournalCarriesSSH(t *testing.T) {
	type entry = snapshot.AgentJournalEntry
	inc := func(e string) snapshot.AgentLogFilter { return snapshot.AgentLogFilter{Type: "include", Expression: e} }
	exc := func(e string) snapshot.AgentLogFilter { return snapshot.AgentLogFilter{Type: "exclude", Expression: e} }
	const ships, drops, unknown = "ships", "drops", "unknown"
	tests := []struct {
		name   string
		e      entry
		unit   string
		want   string
		reason string // part of the reason, when not shipping
	}{
		{"every unit, default priority", entry{}, UnitSSHD, ships, ""},
		{"bare name means NAME.service", entry{Units: []string{"sshd"}}, UnitSSHD, ships, ""},
		{"full unit name", entry{Units: []string{"ssh.service"}}, UnitSSH, ships, ""},
		{"Ubuntu's sshd alias does not resolve", entry{Units: []string{"sshd"}}, UnitSSH, drops, "do not include ssh.service"},
		{"Debian unit on Amazon Linux", entry{Units: []string{"ssh"}}, UnitSSHD, drops, "do not include sshd.service"},
		{"the socket is another unit", entry{Units: []string{"ssh.socket"}}, UnitSSH, drops, "do not include"},
		{"other units only, however many", entry{Units: []string{"nginx", "systemd-logind", "cron"}}, UnitSSHD, drops, "do not include"},
		{"one of several units", entry{Units: []string{"nginx", "sshd"}}, UnitSSHD, ships, ""},
		{"glob covers both distributions", entry{Units: []string{"ssh*"}}, UnitSSH, ships, ""},
		{"glob is not suffixed", entry{Units: []string{"ssh*d"}}, UnitSSHD, drops, "do not include"},
		{"priority info", entry{Priority: "info"}, UnitSSHD, ships, ""},
		{"priority debug admits info", entry{Priority: "7"}, UnitSSHD, ships, ""},
		{"priority notice drops info", entry{Priority: "notice"}, UnitSSHD, drops, "more severe than info"},
		{"priority err drops info", entry{Priority: "3"}, UnitSSHD, drops, "more severe than info"},
		{"match on the unit", entry{Matches: []map[string]string{{"_SYSTEMD_UNIT": "sshd.service"}}}, UnitSSHD, ships, ""},
		{"match on the alias", entry{Matches: []map[string]string{{"_SYSTEMD_UNIT": "sshd.service"}}}, UnitSSH, drops, "_SYSTEMD_UNIT=sshd.service"},
		{"matches are OR-ed", entry{Matches: []map[string]string{{"_TRANSPORT": "kernel"}, {"_UID": "0"}}}, UnitSSH, ships, ""},
		{"a match's fields are AND-ed", entry{Matches: []map[string]string{{"_UID": "0", "_TRANSPORT": "kernel"}}}, UnitSSH, drops, "_TRANSPORT=kernel"},
		{"identifier changed with OpenSSH 9.8", entry{Matches: []map[string]string{{"SYSLOG_IDENTIFIER": "sshd"}}}, UnitSSHD, unknown, "OpenSSH"},
		{"facility differs by distribution", entry{Matches: []map[string]string{{"SYSLOG_FACILITY": "10"}}}, UnitSSHD, unknown, "facility"},
		{"field lookout cannot know", entry{Matches: []map[string]string{{"_HOSTNAME": "web-1"}}}, UnitSSHD, unknown, "_HOSTNAME=web-1"},
		{"a known match wins over an unknown one", entry{Matches: []map[string]string{{"_HOSTNAME": "web-1"}, {"_UID": "0"}}}, UnitSSHD, ships, ""},
		{"units AND matches", entry{Units: []string{"sshd"}, Matches: []map[string]string{{"_TRANSPORT": "kernel"}}}, UnitSSHD, drops, "_TRANSPORT=kernel"},
		{"include filter on the message", entry{Filters: []snapshot.AgentLogFilter{inc("Accepted")}}, UnitSSHD, ships, ""},
		{"includes are OR-ed", entry{Filters: []snapshot.AgentLogFilter{inc("ERROR"), inc("publickey")}}, UnitSSHD, ships, ""},
		{"include that misses", entry{Filters: []snapshot.AgentLogFilter{inc("ERROR|WARN")}}, UnitSSHD, drops, "no include filter"},
		{"exclude that hits", entry{Filters: []snapshot.AgentLogFilter{exc("Accepted publickey")}}, UnitSSHD, drops, "exclude filter"},
		{"exclude that misses", entry{Filters: []snapshot.AgentLogFilter{exc(".*debug.*")}}, UnitSSHD, ships, ""},
		{"exclude sees every field", entry{Filters: []snapshot.AgentLogFilter{exc(`"_SYSTEMD_UNIT":"sshd\.service"`)}}, UnitSSHD, drops, "exclude filter"},
		{"exclude on sshd-session depends on OpenSSH", entry{Filters: []snapshot.AgentLogFilter{exc("sshd-session")}}, UnitSSH, unknown, "OpenSSH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := JournalCarriesSSH(tt.e, tt.unit)
			got := drops
			switch {
			case c.Unknown:
				got = unknown
			case c.Ships:
				got = ships
			}
			if got != tt.want {
				t.Fatalf("JournalCarriesSSH = %s (%q), want %s", got, c.Reason, tt.want)
			}
			if !strings.Contains(c.Reason, tt.reason) {
				t.Errorf("reason %q, want it to contain %q", c.Reason, tt.reason)
			}
		})
	}
}

func TestFileFiltersCarrySSH(t *testing.T) {
	tests := []struct {
		name    string
		filters []snapshot.AgentLogFilter
		ships   bool
	}{
		{"no filters", nil, true},
		{"include sshd", []snapshot.AgentLogFilter{{Type: "include", Expression: `sshd\[`}}, true},
		// Unlike journald's, a file entry's includes must all match.
		{"includes are AND-ed", []snapshot.AgentLogFilter{{Type: "include", Expression: "sshd"}, {Type: "include", Expression: "sudo"}}, false},
		{"exclude Accepted", []snapshot.AgentLogFilter{{Type: "exclude", Expression: "Accepted"}}, false},
		{"exclude preauth noise", []snapshot.AgentLogFilter{{Type: "exclude", Expression: `\[preauth\]`}}, true},
	}
	for _, tt := range tests {
		if c := FileFiltersCarrySSH(tt.filters); c.Ships != tt.ships || c.Unknown {
			t.Errorf("%s: %+v, want ships=%v", tt.name, c, tt.ships)
		}
	}
}

func TestSSHUnitAndJournalOnly(t *testing.T) {
	units := map[string]string{"Ubuntu": UnitSSH, "Debian GNU/Linux": UnitSSH, "Amazon Linux": UnitSSHD,
		"Red Hat Enterprise Linux": UnitSSHD, "SLES": UnitSSHD}
	for platform, want := range units {
		if got, ok := SSHUnit(platform); !ok || got != want {
			t.Errorf("SSHUnit(%q) = %q, %v; want %q", platform, got, ok, want)
		}
	}
	if _, ok := SSHUnit("Gentoo"); ok {
		t.Error("SSHUnit(Gentoo) should be unknown")
	}
	only := []struct {
		name, version string
		want          bool
	}{
		{"Amazon Linux", "2023", true}, {"Amazon Linux", "2023.6.20241212", true}, {"Amazon Linux", "2", false},
		{"Debian GNU/Linux", "12", true}, {"Debian GNU/Linux", "13", true}, {"Debian GNU/Linux", "11", false},
		{"Ubuntu", "24.04", false}, {"Red Hat Enterprise Linux", "9.4", false},
	}
	for _, tt := range only {
		if got := JournalOnly(tt.name, tt.version); got != tt.want {
			t.Errorf("JournalOnly(%q, %q) = %v, want %v", tt.name, tt.version, got, tt.want)
		}
	}
}
