package fixexec

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/lookout-audit/lookout/internal/plan"
)

// TestMergeAgentConfigKeepsUserEntries: the SSH log is appended; every other key and entry of
// the user's configuration survives; a path already collected is not added twice.
func TestMergeAgentConfigKeepsUserEntries(t *testing.T) {
	user := `{"agent":{"run_as_user":"root"},"metrics":{"namespace":"X"},"logs":{"logs_collected":{"files":{"collect_list":[` +
		`{"file_path":"/var/log/httpd/access_log","log_group_name":"web","log_stream_name":"a"}]}},"force_flush_interval":5}}`
	ssh := []plan.AgentLogFile{{FilePath: "/var/log/secure", LogGroupName: "lookout-ssh-logs", LogStreamName: "{instance_id}"}}
	tests := []struct {
		name, config string
		files        []plan.AgentLogFile
		added        int
		want         []string // substrings the result must keep
		wantErr      string
	}{
		{"adds to a user's config", user, ssh, 1, []string{`"run_as_user": "root"`, `"namespace": "X"`, "access_log", "/var/log/secure", `"force_flush_interval": 5`}, ""},
		{"empty config", "", ssh, 1, []string{"/var/log/secure"}, ""},
		{"already collected", strings.Replace(user, "/var/log/httpd/access_log", "/var/log/secure", 1), ssh, 0, []string{`"log_group_name": "web"`}, ""},
		{"not JSON", "{", ssh, 0, nil, "not JSON"},
		{"collect_list not a list", `{"logs":{"logs_collected":{"files":{"collect_list":{}}}}}`, ssh, 0, nil, "not a list"},
		{"logs not an object", `{"logs":[]}`, ssh, 0, nil, "not an object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, added, err := MergeAgentConfig(tc.config, tc.files, nil)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || added != tc.added {
				t.Fatalf("added %d err %v, want %d", added, err, tc.added)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("merged config lost %s:\n%s", w, got)
				}
			}
		})
	}
}

// TestMergeAgentConfigAddsJournal: a journald entry is appended beside the files, once; the
// user's journald entries stay.
func TestMergeAgentConfigAddsJournal(t *testing.T) {
	user := `{"logs":{"logs_collected":{"files":{"collect_list":[{"file_path":"/var/log/app.log"}]},` +
		`"journald":{"collect_list":[{"log_group_name":"apps","units":["nginx"]}]}}}}`
	ssh := []plan.AgentJournalEntry{{LogGroupName: "lookout-ssh-logs", LogStreamName: "{instance_id}", Units: []string{"sshd.service"}}}
	got, added, err := MergeAgentConfig(user, nil, ssh)
	if err != nil || added != 1 {
		t.Fatalf("added %d err %v, want 1", added, err)
	}
	var doc struct {
		Logs struct {
			LogsCollected struct {
				Files struct {
					CollectList []map[string]any `json:"collect_list"`
				} `json:"files"`
				Journald struct {
					CollectList []map[string]any `json:"collect_list"`
				} `json:"journald"`
			} `json:"logs_collected"`
		} `json:"logs"`
	}
	if err := json.Unmarshal([]byte(got), &doc); err != nil {
		t.Fatal(err)
	}
	j := doc.Logs.LogsCollected.Journald.CollectList
	if len(doc.Logs.LogsCollected.Files.CollectList) != 1 || len(j) != 2 || j[1]["log_group_name"] != "lookout-ssh-logs" || j[1]["log_stream_name"] != "{instance_id}" {
		t.Fatalf("merged config:\n%s", got)
	}
	if _, again, err := MergeAgentConfig(got, nil, ssh); err != nil || again != 0 {
		t.Errorf("merging the same entry twice added %d (err %v), want 0", again, err)
	}
}

// TestAddStatementKeepsPolicy: lookout's statement is added by Sid, once, and the topic's
// existing statements stay.
func TestAddStatementKeepsPolicy(t *testing.T) {
	stmt := plan.Statement{Sid: "lookout-events-publish", Effect: "Allow"}
	existing := `{"Version":"2008-10-17","Statement":[{"Sid":"owner","Effect":"Allow","Action":"SNS:Publish"}]}`
	got, added, err := addStatement(existing, stmt)
	if err != nil || !added {
		t.Fatalf("added=%v err=%v", added, err)
	}
	var doc struct {
		Version   string
		Statement []map[string]any
	}
	if err := json.Unmarshal([]byte(got), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != "2008-10-17" || len(doc.Statement) != 2 || doc.Statement[0]["Sid"] != "owner" {
		t.Fatalf("policy became %s", got)
	}
	if _, again, _ := addStatement(got, stmt); again {
		t.Fatal("the statement was added twice")
	}
	single := `{"Statement":{"Sid":"one","Effect":"Allow"}}`
	if got, added, err := addStatement(single, stmt); err != nil || !added || !strings.Contains(got, `"one"`) {
		t.Fatalf("single-statement policy: %s %v %v", got, added, err)
	}
	if _, _, err := addStatement("not json", stmt); err == nil {
		t.Fatal("a policy that is not JSON was overwritten")
	}
}

// deleteTrail is params of an operation lookout has no handler for.
type deleteTrail struct{ Name string }

func (deleteTrail) Operation() (string, string) { return "cloudtrail", "DeleteTrail" }

// TestValidateRefusesWhatCannotRun: an unknown operation, params the call cannot take (a name
// left empty, an embedded source that does not exist, params of another type than the
// operation's) are refused before anything runs, naming the plan and action. A parameter the
// API does not have cannot be planned (the params are typed) nor read back from JSON.
func TestValidateRefusesWhatCannotRun(t *testing.T) {
	ok := plan.Action{Region: "us-east-1", Params: plan.StartLogging{Name: "main"}}
	empty := ok
	empty.Params = plan.StartLogging{}
	pointer := ok
	pointer.Params = &plan.StartLogging{Name: "main"}
	unknown := plan.Action{Region: "us-east-1", Params: deleteTrail{Name: "main"}}
	badCode := plan.Action{Params: plan.CreateFunction{FunctionName: "f", Role: "r", Code: plan.EmbeddedCode{Embedded: "nope.py"}}}
	if err := Validate([]plan.Plan{{CheckID: "c", Actions: []plan.Action{ok}}}); err != nil {
		t.Fatalf("valid plan refused: %v", err)
	}
	for name, a := range map[string]plan.Action{"empty name": empty, "pointer params": pointer, "unknown op": unknown,
		"unknown code": badCode, "no params": {Region: "us-east-1"}} {
		err := Validate([]plan.Plan{{CheckID: "c", Region: "us-east-1", Actions: []plan.Action{a}}})
		if err == nil || !strings.Contains(err.Error(), "plan c us-east-1, action 1") {
			t.Errorf("%s: %v", name, err)
		}
	}
	var typo plan.Action
	if err := json.Unmarshal([]byte(`{"service":"cloudtrail","operation":"StartLogging","params":{"TrailName":"main"}}`), &typo); err == nil {
		t.Errorf("a plan with a parameter StartLogging does not have was read: %+v", typo)
	}
	if Supports("cloudtrail:DeleteTrail") || Supports("s3:DeleteBucket") {
		t.Fatal("the executor must not know any delete operation")
	}
}

// TestEveryOperationHasAHandler: the executor carries out exactly the operations internal/plan
// has params types for.
func TestEveryOperationHasAHandler(t *testing.T) {
	ops := plan.Operations()
	for _, op := range ops {
		if !Supports(op) {
			t.Errorf("no handler for %s", op)
		}
	}
	if len(handlers) != len(ops) {
		t.Errorf("%d handlers for %d operations", len(handlers), len(ops))
	}
}
