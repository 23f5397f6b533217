package report

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/lookout-audit/lookout/checks"
)

// AccountFailure is an account that could not be read at all (no credentials, STS or
// AssumeRole refused, no network): every check run on it is ERROR for this one cause.
type AccountFailure struct {
	Account string
	// Cause is the read error shared by the account's ERROR findings.
	Cause string
	// Checks are the ids of the checks that could not run, sorted.
	Checks []string
	// Remedy is the likely fix for Cause, for a person.
	Remedy string
}

// accountCause reports whether f is the ERROR finding checks.Run emits for an account that
// could not be entered (region "global", resource the account id, message "could not read
// account ID: cause"), and returns the cause. It reads the finding only, so it works as well
// on a report read back by merge as on a fresh scan.
func accountCause(f checks.Finding) (string, bool) {
	if f.Status != checks.Error || f.Region != "global" || f.Resource != f.Account {
		return "", false
	}
	prefix := "could not read account " + f.Account + ": "
	if !strings.HasPrefix(f.Message, prefix) {
		return "", false
	}
	return strings.TrimPrefix(f.Message, prefix), true
}

// UnreadableAccounts groups the findings of accounts that could not be read at all: one entry
// per account and cause, sorted by account.
func UnreadableAccounts(fs []checks.Finding) []AccountFailure {
	type key struct{ account, cause string }
	byKey := map[key]*AccountFailure{}
	var order []key
	for _, f := range fs {
		cause, ok := accountCause(f)
		if !ok {
			continue
		}
		k := key{f.Account, cause}
		a := byKey[k]
		if a == nil {
			a = &AccountFailure{Account: f.Account, Cause: cause, Remedy: Remedy(cause)}
			byKey[k] = a
			order = append(order, k)
		}
		a.Checks = append(a.Checks, f.CheckID)
	}
	out := make([]AccountFailure, 0, len(order))
	for _, k := range order {
		a := byKey[k]
		sort.Strings(a.Checks)
		out = append(out, *a)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Account < out[j].Account })
	return out
}

// Remedy guesses the fix for an account-level read error from its text: the SDK's credential
// chain, STS and the network each fail in recognisable words.
func Remedy(cause string) string {
	c := strings.ToLower(cause)
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(c, strings.ToLower(w)) {
				return true
			}
		}
		return false
	}
	switch {
	case has("sts:AssumeRole", "AssumeRole"):
		return "the audit role could not be assumed: check that --role-name names a role that exists in this account, " +
			"trusts the caller's account, and that the caller may call sts:AssumeRole on it"
	case has("ExpiredToken", "token has expired", "token is expired", "expired token", "sso session", "refresh token", "InvalidGrantException"):
		return "the credentials have expired: run `aws sso login` (with --profile NAME for a named profile), or refresh them"
	case has("no EC2 IMDS role", "failed to refresh cached credentials", "get credentials", "no valid providers",
		"NoCredentialProviders", "failed to retrieve credentials", "anonymous credentials", "failed to load", "SharedConfigProfileNotExist",
		"profile not found", "failed to get shared config profile"):
		return "no usable AWS credentials were found: run `aws sso login` for an SSO profile, choose one with --profile NAME, " +
			"or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; to scan an emulator instead, set AWS_ENDPOINT_URL or --endpoint-url"
	case has("InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException", "security token included in the request is invalid"):
		return "AWS refused the credentials: check --profile or the AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in the environment " +
			"(against an emulator, set AWS_ENDPOINT_URL or --endpoint-url)"
	case has("dial tcp", "no such host", "connection refused", "network is unreachable", "i/o timeout", "tls handshake",
		"context deadline exceeded", "connection reset", "request send failed", "timeout"):
		return "AWS could not be reached: check the network, proxy (HTTPS_PROXY) and region, or point lookout at an emulator with " +
			"AWS_ENDPOINT_URL or --endpoint-url"
	case has("AccessDenied", "not authorized"):
		return "the caller is not allowed to read this account: check --profile and that the role or user has the permissions of policies/lookout-scan.json"
	}
	return "check the credentials (`aws sso login`, --profile) and the endpoint (AWS_ENDPOINT_URL or --endpoint-url)"
}

// WriteAccountFailures writes one stderr-style paragraph per unreadable account: the cause
// once, how many checks it stopped, and the likely remedy. It writes nothing when every
// account was read.
func WriteAccountFailures(w io.Writer, fs []checks.Finding) error {
	for _, a := range UnreadableAccounts(fs) {
		if _, err := fmt.Fprintf(w, "lookout: account %s could not be read, so its %d check(s) are ERROR: %s\n  likely remedy: %s\n",
			a.Account, len(a.Checks), a.Cause, a.Remedy); err != nil {
			return err
		}
	}
	return nil
}
