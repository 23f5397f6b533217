package detection

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Reference patterns: the CIS / AWS-documented patterns each detection was calibrated
// against. They are documentation and test fixtures, never used to judge customer patterns
// by text.
const (
	RefRootUsage               = `{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`
	RefAPIWithoutMFA           = `{ $.userIdentity.sessionContext.attributes.mfaAuthenticated != "true" }`
	RefConsoleSigninWithoutMFA = `{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }`
	RefSSHLogin                = `"Accepted publickey for"`
)

// defaultAccount fills ${ACCOUNT} when a caller does not know the account.
const defaultAccount = "123456789012"

// RootUsage: any use of the root user's credentials by a person (CIS "root account usage").
//
// Positives: a root console login and a root API call. Negatives: root actions AWS performs
// on the user's behalf (invokedBy set; eventType AwsServiceEvent) — these are why the CIS
// pattern has its two extra clauses, and alarming on them trains people to ignore the alarm;
// an IAM user call; an assumed-role call; and an AssumedRoot session (centralised root access
// via sts:AssumeRoot from the management account), which is audited privileged access, not
// someone holding the root password — a pattern matching "*Root*" fires on it.
func RootUsage() Detection {
	return Detection{
		ID:       "root-usage",
		Summary:  "root user credentials used by a person (console login or API call)",
		Language: FilterPattern,
		Positives: []Event{
			record("root-console-login.json", "root console login, MFA used"),
			record("root-console-login-no-mfa.json", "root console login, no MFA"),
			record("root-api-call.json", "root API call (iam:CreateAccessKey from a console session)"),
		},
		Negatives: []Event{
			record("root-invoked-by-service.json", "root action invoked by an AWS service (userIdentity.invokedBy set)"),
			record("root-aws-service-event.json", "root AwsServiceEvent (signin CredentialVerification)"),
			record("iam-user-access-key-call.json", "IAM user API call with an access key"),
			record("assumed-role-call-mfa.json", "assumed-role API call"),
			record("assumed-root-api-call.json", "AssumedRoot session API call (centralised root access)"),
		},
	}
}

// APIWithoutMFA: API calls from sessions that did not authenticate with MFA.
//
// The positives are exactly what the reference pattern (AWS CloudTrail User Guide, "Creating
// CloudWatch alarms for CloudTrail events: additional examples") catches: console-session
// calls whose sessionContext says mfaAuthenticated "false". Calls with long-term access keys
// carry no sessionContext, so the reference misses them (`!=` does not match an absent field);
// making them positives would fail every real account, so they are deliberately in neither
// set. Negatives: calls from sessions with mfaAuthenticated "true".
func APIWithoutMFA() Detection {
	return Detection{
		ID:       "api-without-mfa",
		Summary:  "API calls from sessions that did not use MFA",
		Language: FilterPattern,
		Positives: []Event{
			record("iam-user-console-call-no-mfa.json", "IAM user console-session API call, mfaAuthenticated false"),
			record("assumed-role-call-no-mfa.json", "assumed-role API call, mfaAuthenticated false"),
		},
		Negatives: []Event{
			record("iam-user-console-call-mfa.json", "IAM user console-session API call, mfaAuthenticated true"),
			record("assumed-role-call-mfa.json", "assumed-role API call, mfaAuthenticated true"),
			record("root-api-call.json", "root console-session API call, mfaAuthenticated true"),
		},
	}
}

// ConsoleSigninWithoutMFA: successful console sign-ins of IAM users without MFA.
//
// Three patterns are in use and all must be judged as detecting: AWS's `MFAUsed = "No"` (the
// CloudTrail guide's alarm examples), CIS's `MFAUsed != "Yes"`, and the SSO variant that adds
// `userIdentity.type = "IAMUser"` and `responseElements.ConsoleLogin = "Success"` (so that
// IAM Identity Center logins, which always say MFAUsed "No" because MFA happened at the
// identity provider, stop firing). What they agree on is the positive: an IAM user's
// successful login without MFA. Events they disagree on — an SSO login, a failed login, a root
// login without MFA — are in neither set. Negatives: a login with MFA and a non-login event.
func ConsoleSigninWithoutMFA() Detection {
	return Detection{
		ID:       "console-signin-without-mfa",
		Summary:  "successful IAM user console sign-in without MFA",
		Language: FilterPattern,
		Positives: []Event{
			record("iam-user-console-login-no-mfa.json", "IAM user console login, success, MFAUsed No"),
		},
		Negatives: []Event{
			record("iam-user-console-login-mfa.json", "IAM user console login, success, MFAUsed Yes"),
			record("root-console-login.json", "root console login, MFAUsed Yes"),
			record("iam-user-console-call-no-mfa.json", "API call (not ConsoleLogin) from a session without MFA"),
		},
	}
}

// Trail identifies the trail a StopLogging rule must protect. Region is its home region,
// the only region where StopLogging for it can be called (elsewhere CloudTrail answers
// InvalidHomeRegionException), so the only region the rule needs to watch.
type Trail struct{ Name, ARN, Region, Account string }

func orDefaultAccount(account string) string {
	if account == "" {
		return defaultAccount
	}
	return account
}

func (t Trail) vars() map[string]string {
	t.Account = orDefaultAccount(t.Account)
	if t.Region == "" {
		t.Region = "us-east-1"
	}
	if t.Name == "" {
		t.Name = "main"
	}
	if t.ARN == "" {
		t.ARN = fmt.Sprintf("arn:aws:cloudtrail:%s:%s:trail/%s", t.Region, t.Account, t.Name)
	}
	return map[string]string{"REGION": t.Region, "ACCOUNT": t.Account, "TRAIL_NAME": t.Name, "TRAIL_ARN": t.ARN}
}

// StopLogging: cloudtrail:StopLogging on the given trail, as the EventBridge rule of a
// remediation (the StopLogging auto-remediation design) sees it in the trail's home region.
//
// Both ways of naming the trail are positives: the API accepts the name or the ARN in
// requestParameters.name, and a rule narrowed to one spelling is bypassed with the other.
// So is every kind of caller: an IAM user, an assumed role, an IAM Identity Center (SSO) user,
// a federated user and the root user (userIdentity.type IAMUser, AssumedRole, FederatedUser,
// Root) may all call StopLogging; a rule narrowed to some of them is bypassed by the others.
// Negatives: StartLogging (the remediation's own call must not re-trigger it), and a custom
// event (source "custom.app") carrying the same detail-type and detail — anyone with
// events:PutEvents can send it, so a rule without "source": ["aws.cloudtrail"] lets them
// trigger the target at will.
func StopLogging(t Trail) Detection {
	v := t.vars()
	return withEnv(Detection{
		ID:       "stoplogging",
		Summary:  fmt.Sprintf("cloudtrail:StopLogging on trail %s in %s", v["TRAIL_NAME"], v["REGION"]),
		Language: EventPattern,
		Positives: []Event{
			envelope("cloudtrail-stoplogging-by-name.json", "StopLogging with the trail name", v),
			envelope("cloudtrail-stoplogging-by-arn.json", "StopLogging with the trail ARN", v),
			envelope("cloudtrail-stoplogging-assumed-role.json", "StopLogging by an assumed role", v),
			envelope("cloudtrail-stoplogging-sso.json", "StopLogging by an IAM Identity Center (SSO) user", v),
			envelope("cloudtrail-stoplogging-federated-user.json", "StopLogging by a federated user", v),
			envelope("cloudtrail-stoplogging-root.json", "StopLogging by the root user", v),
		},
		Negatives: []Event{
			envelope("cloudtrail-startlogging.json", "StartLogging on the same trail", v),
			envelope("custom-stoplogging-lookalike.json", "custom event (source custom.app) with StopLogging detail", v),
			envelope("s3-api-call.json", "unrelated API call (s3:CreateBucket)", v),
		},
	})
}

// RootConsoleSignin: the root user signing in to the console, as the EventBridge rule of the
// console sign-in alert design (EventBridge rule → Lambda → Slack) sees it in region (sign-in
// events arrive in us-east-1 and, for many sign-ins since 2022, us-west-2; the check evaluates
// each).
//
// The positive is an AnyOf group: the same root login under the detail-type AWS sends ("AWS
// Console Sign In via CloudTrail") and under the "AWS Console Signin via CloudTrail" spelling
// found in many rules, so a rule using either is judged OK. Rules narrowed to particular
// principals still pass as long as root sign-in matches: IAM user logins are in neither set.
// Negatives: an unrelated API call, and a custom event mimicking the sign-in.
//
// account is the account the rule lives in (its events carry that account id and root ARN, so
// a rule narrowed to "arn:aws:iam::ACCOUNT:root" is judged against the right principal); ""
// means an example account.
func RootConsoleSignin(region, account string) Detection {
	v := map[string]string{"REGION": region, "ACCOUNT": orDefaultAccount(account)}
	return withEnv(Detection{
		ID:       "root-console-signin",
		Summary:  fmt.Sprintf("root console sign-in in %s", region),
		Language: EventPattern,
		AnyOf: [][]Event{{
			envelope("signin-root-console-login.json", `root console login (detail-type "AWS Console Sign In via CloudTrail")`, v),
			envelope("signin-root-console-login-signin-spelling.json", `root console login (detail-type "AWS Console Signin via CloudTrail")`, v),
		}},
		Negatives: []Event{
			envelope("s3-api-call.json", "unrelated API call (s3:CreateBucket)", v),
			envelope("custom-signin-lookalike.json", "custom event (source custom.app) mimicking a root sign-in", v),
			envelope("ec2-state-running.json", "EC2 state-change notification", v),
		},
	})
}

// EC2StateChange: EC2 instances starting, stopping or terminating in region (the EC2
// state-change notification rule on "running, stopped, terminated"). All three states are
// positives; "pending" is in neither set (a rule may or may not want it). Negatives: an API
// call and a custom event mimicking the notification.
// account is the account the instances and the rule live in ("" for an example account).
func EC2StateChange(region, account string) Detection {
	v := map[string]string{"REGION": region, "ACCOUNT": orDefaultAccount(account)}
	return withEnv(Detection{
		ID:       "ec2-state-change",
		Summary:  fmt.Sprintf("EC2 instance state changes (running, stopped, terminated) in %s", region),
		Language: EventPattern,
		Positives: []Event{
			envelope("ec2-state-running.json", "EC2 instance state-change: running", v),
			envelope("ec2-state-stopped.json", "EC2 instance state-change: stopped", v),
			envelope("ec2-state-terminated.json", "EC2 instance state-change: terminated", v),
		},
		Negatives: []Event{
			envelope("s3-api-call.json", "unrelated API call (s3:CreateBucket)", v),
			envelope("custom-ec2-lookalike.json", "custom event (source custom.app) mimicking an EC2 state change", v),
		},
	})
}

// SSHLogin: successful SSH public-key logins in sshd logs shipped by the CloudWatch agent
// (Ubuntu /var/log/auth.log, Amazon Linux /var/log/secure). The auth.log SSH-login alarm
// design's filter is "Accepted publickey for", so password logins are in neither set.
// Negatives: failed passwords, invalid users, disconnects, PAM session lines and pre-auth
// connection closes.
func SSHLogin() Detection {
	pos, neg, _ := sshLines()
	return Detection{
		ID:        "ssh-login",
		Summary:   "successful SSH public-key login",
		Language:  FilterPattern,
		Positives: pos,
		Negatives: neg,
	}
}

// SSHLoginShipped is the SSH-login detection for a log group as the CloudWatch agent fills it:
// from file entries, sshd's syslog lines (SSHLogin's events); from journald entries, each
// line as the agent's journald pipeline ships it — a JSON document whose "body" holds the
// journal entry's fields (MESSAGE, PRIORITY, SYSLOG_IDENTIFIER, _SYSTEMD_UNIT, ...), the
// OpenTelemetry CloudWatch Logs exporter's shape. A group fed both ways needs a pattern that
// matches both.
func SSHLoginShipped(files, journal bool) Detection {
	pos, neg, _ := sshLines()
	d := Detection{ID: "ssh-login", Summary: "successful SSH public-key login", Language: FilterPattern}
	if files {
		d.Positives, d.Negatives = append(d.Positives, pos...), append(d.Negatives, neg...)
	}
	if journal {
		d.ID += "-journal"
		if files {
			d.ID += "-and-files"
		}
		d.Summary += " (as the agent ships the journal)"
		for _, e := range pos {
			d.Positives = append(d.Positives, journalEvent(e))
		}
		for _, e := range neg {
			d.Negatives = append(d.Negatives, journalEvent(e))
		}
	}
	return d
}

// journalEvent is an sshd syslog line ("Mon DD HH:MM:SS host sshd[PID]: MESSAGE") as the
// agent ships the journal entry behind it.
func journalEvent(line Event) Event {
	text := string(line.Bytes())
	head, msg, _ := strings.Cut(text, ": ")
	fields := strings.Fields(head)
	host, proc := "", "sshd"
	if len(fields) >= 2 {
		host, proc = fields[len(fields)-2], fields[len(fields)-1]
	}
	ident, pid, _ := strings.Cut(strings.TrimSuffix(proc, "]"), "[")
	body := map[string]string{
		"MESSAGE": msg, "PRIORITY": "6", "SYSLOG_FACILITY": "4", "SYSLOG_IDENTIFIER": ident, "SYSLOG_PID": pid,
		"_COMM": ident, "_EXE": "/usr/sbin/sshd", "_HOSTNAME": host, "_PID": pid, "_TRANSPORT": "syslog",
		"_UID": "0", "_GID": "0", "_SYSTEMD_UNIT": "sshd.service", "_SYSTEMD_SLICE": "system.slice",
	}
	b, err := json.Marshal(map[string]any{"body": body})
	if err != nil {
		panic(err) // a map of strings always marshals
	}
	return newEvent(line.Name+" (journald, as the agent ships it)", b)
}

// DefaultTrail is the trail used for documentation and tests.
var DefaultTrail = Trail{Name: "main", Region: "us-east-1", Account: defaultAccount}

// All returns every detection, with example parameters for the parameterised ones (trail
// DefaultTrail, region us-east-1). For documentation and tests.
func All() []Detection {
	return []Detection{
		RootUsage(),
		APIWithoutMFA(),
		ConsoleSigninWithoutMFA(),
		StopLogging(DefaultTrail),
		RootConsoleSignin("us-east-1", ""),
		EC2StateChange("us-east-1", ""),
		SSHLogin(),
	}
}

// Corpus returns every embedded event, including those in no detection's sets (SSO logins,
// failed logins, password SSH logins), named by file, for tests and `lookout pattern test`
// demonstrations.
func Corpus() []Event {
	var out []Event
	for _, dir := range []string{"cloudtrail", "eventbridge"} {
		entries, err := corpusFS.ReadDir("corpus/" + dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			out = append(out, newEvent(dir+"/"+e.Name(), file(dir+"/"+e.Name())))
		}
	}
	pos, neg, info := sshLines()
	for _, group := range [][]Event{pos, neg, info} {
		for _, e := range group {
			out = append(out, newEvent("ssh: "+e.Name, e.Body))
		}
	}
	return out
}
