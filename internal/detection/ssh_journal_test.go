package detection

import (
	"strings"
	"testing"
)

// TestSSHLoginShipped: a group fed by the journal needs a pattern that matches the agent's
// JSON documents, and one fed both ways a pattern that matches both shapes.
func TestSSHLoginShipped(t *testing.T) {
	tests := []struct {
		pattern        string
		files, journal bool
		complete       bool
	}{
		{RefSSHLogin, true, false, true},
		{RefSSHLogin, false, true, true}, // a quoted term matches anywhere in the event's text
		{RefSSHLogin, true, true, true},
		{`{ $.body.MESSAGE = "Accepted publickey*" }`, false, true, true},
		{`{ $.body.MESSAGE = "Accepted publickey*" }`, true, true, false}, // syslog lines are not JSON
		{`"sshd[" "Accepted publickey"`, true, false, true},
		{`"sshd[" "Accepted publickey"`, false, true, false}, // the journal's MESSAGE has no "sshd[" prefix
	}
	for _, tt := range tests {
		d := SSHLoginShipped(tt.files, tt.journal)
		v, err := d.EvaluateFilterPattern(tt.pattern)
		if err != nil {
			t.Fatalf("%s: %v", tt.pattern, err)
		}
		if got := v.Detects; got != tt.complete {
			t.Errorf("%s on files=%v journal=%v: detects=%v, want %v (%s)", tt.pattern, tt.files, tt.journal, got, tt.complete, v)
		}
	}
	d := SSHLoginShipped(false, true)
	if len(d.Positives) == 0 || !strings.Contains(string(d.Positives[0].Bytes()), `"MESSAGE":"Accepted publickey for ubuntu`) ||
		!strings.Contains(string(d.Positives[0].Bytes()), `"SYSLOG_IDENTIFIER":"sshd"`) {
		t.Errorf("journal event = %s", d.Positives[0].Bytes())
	}
}
