package agentconfig

import "strings"

// The files sshd's log lines land in, by Linux family: Debian and Ubuntu route the auth
// facility to /var/log/auth.log, the Red Hat family (Amazon Linux, RHEL, CentOS, Rocky, Alma,
// Oracle, Fedora) to /var/log/secure, SUSE to /var/log/messages.
const (
	AuthLog  = "/var/log/auth.log"
	Secure   = "/var/log/secure"
	Messages = "/var/log/messages"
)

// KnownSSHLogPaths are every path SSHLogPath can answer, so a caller can tell "collects the
// wrong platform's file" from "collects nothing of the kind".
var KnownSSHLogPaths = []string{AuthLog, Secure, Messages}

// SSHLogPath returns where an instance of the given SSM PlatformName writes sshd's log lines,
// and false when the distribution is not one lookout knows.
func SSHLogPath(platformName string) (string, bool) {
	p := strings.ToLower(platformName)
	switch {
	case strings.Contains(p, "ubuntu"), strings.Contains(p, "debian"):
		return AuthLog, true
	case strings.Contains(p, "amazon linux"), strings.Contains(p, "red hat"), strings.Contains(p, "rhel"),
		strings.Contains(p, "centos"), strings.Contains(p, "rocky"), strings.Contains(p, "almalinux"),
		strings.Contains(p, "oracle"), strings.Contains(p, "fedora"):
		return Secure, true
	case strings.Contains(p, "suse"), strings.Contains(p, "sles"):
		return Messages, true
	}
	return "", false
}

// JournalOnlyHint explains, for distributions that ship without a syslog daemon, why the file
// may not exist at all; "" when there is nothing to add.
func JournalOnlyHint(platformName, platformVersion string) string {
	p := strings.ToLower(platformName)
	switch {
	case strings.Contains(p, "amazon linux") && strings.HasPrefix(platformVersion, "2023"):
		return "Amazon Linux 2023 writes sshd logs only to the journal unless rsyslog is installed, so /var/log/secure may not exist"
	case strings.Contains(p, "debian") && (strings.HasPrefix(platformVersion, "12") || strings.HasPrefix(platformVersion, "13")):
		return "Debian 12 and later write sshd logs only to the journal unless rsyslog is installed, so /var/log/auth.log may not exist"
	}
	return ""
}
