package agentconfig

import (
	"fmt"
	"strings"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

// Expand resolves the agent's placeholders in a log group or stream name for one instance:
// {instance_id}, {hostname} and {local_hostname} (the instance's host name as SSM reports it)
// and {ip_address} (its private address). An unknown placeholder is an error, and so is one
// whose value SSM did not report: guessing would point the freshness test at the wrong stream.
func Expand(template string, mi *snapshot.ManagedInstance) (string, error) {
	var b strings.Builder
	rest := template
	for {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		name := rest[open+1 : open+end]
		var value string
		switch name {
		case "instance_id":
			value = mi.InstanceID
		case "hostname", "local_hostname":
			value = mi.ComputerName
		case "ip_address":
			value = mi.IPAddress
		default:
			return "", fmt.Errorf("%q: unknown placeholder {%s}", template, name)
		}
		if value == "" {
			return "", fmt.Errorf("%q: SSM reports no value for {%s} on %s", template, name, mi.InstanceID)
		}
		b.WriteString(rest[:open])
		b.WriteString(value)
		rest = rest[open+end+1:]
	}
}

// PerInstance reports whether a stream name template differs from instance to instance. A
// fixed name ("ssh-logs", as in the Well-Architected lab) is one stream shared by every
// instance using the configuration, so its freshness says nothing about any single instance.
func PerInstance(template string) bool {
	for _, p := range []string{"{instance_id}", "{hostname}", "{local_hostname}", "{ip_address}"} {
		if strings.Contains(template, p) {
			return true
		}
	}
	return false
}
