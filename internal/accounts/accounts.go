// Package accounts decides which AWS accounts a scan reads and how it enters each: the
// organisation's ACTIVE accounts (--org), an explicit list (--accounts), or just the caller's
// own; narrowed to one shard (--shard); entered by assuming one role (--role-name) in every
// account but the caller's own, which is read with the caller's credentials directly.
//
// An account whose role cannot be assumed is not dropped: it becomes a collect.Target with Err
// set, so that the checks report ERROR for it, with the reason, and the rest of the scan goes on.
package accounts

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/lookout-audit/lookout/internal/collect"
	"github.com/lookout-audit/lookout/internal/shard"
	"github.com/lookout-audit/lookout/internal/snapshot"
)

// DefaultRoleName is the role AWS Organizations creates in every account it creates. A
// read-only audit role deployed by StackSets is the better choice where one exists.
const DefaultRoleName = "OrganizationAccountAccessRole"

// SessionName names lookout's sessions in the member accounts' CloudTrail logs.
const SessionName = "lookout-audit"

// assumeConcurrency bounds the AssumeRole calls in flight: STS is one regional endpoint shared
// by every account, so it gets a small share.
const assumeConcurrency = 8

// Options say which accounts to read.
type Options struct {
	// Config holds the caller's credentials (management, delegated administrator, or any
	// account that may assume RoleName in the others).
	Config aws.Config
	// Org lists the organisation's ACTIVE accounts.
	Org bool
	// Accounts limits the set (with Org) or is the set (without); nil means no limit.
	Accounts []string
	// RoleName is assumed in every account but the caller's (DefaultRoleName if "").
	RoleName string
	// Shard keeps only the accounts of one shard.
	Shard shard.Spec
	// Defer leaves entering each account (assuming its role) to the collector, as the
	// account's turn comes (collect.Target.Enter), instead of before Resolve returns: the
	// roles of a large organisation are then assumed while the first accounts are read, not
	// all before. An account that cannot be entered gets its Err during collect.Snapshot.
	Defer bool
}

// Resolve returns one collection target per account in scope, sorted by account id. Errors
// that leave nothing sensible to scan (the caller's identity is unknown, the organisation
// cannot be listed, --accounts names an account outside it) are returned; an account that
// cannot be entered is a Target with Err set.
func Resolve(ctx context.Context, o Options) ([]collect.Target, error) {
	if !o.Org && o.Accounts == nil && !o.Shard.Enabled() {
		// The caller's own account only: the collector asks STS who that is.
		return []collect.Target{{Config: o.Config}}, nil
	}
	// Who the caller is and which accounts the organisation has are independent reads.
	var members []string
	var listErr error
	listed := make(chan struct{})
	go func() {
		defer close(listed)
		if o.Org {
			members, listErr = activeAccounts(ctx, o.Config)
		}
	}()
	id, err := sts.NewFromConfig(o.Config).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	<-listed
	if err != nil {
		return nil, fmt.Errorf("sts:GetCallerIdentity: %w", err)
	}
	caller := aws.ToString(id.Account)
	// Roles are assumed in the caller's partition, which its ARN names.
	partition := collect.Partition(aws.ToString(id.Arn))

	ids := []string{caller}
	switch {
	case o.Org:
		ids, err = members, listErr
		if err != nil {
			return nil, err
		}
		if o.Accounts != nil {
			if ids, err = restrict(ids, o.Accounts); err != nil {
				return nil, err
			}
		}
	case o.Accounts != nil:
		ids = append([]string(nil), o.Accounts...)
	}
	sort.Strings(ids)
	ids = o.Shard.Filter(ids)

	roleName := o.RoleName
	if roleName == "" {
		roleName = DefaultRoleName
	}
	stsClient := sts.NewFromConfig(o.Config)
	targets := make([]collect.Target, len(ids))
	sem := make(chan struct{}, assumeConcurrency)
	var wg sync.WaitGroup
	for i, acct := range ids {
		if acct == caller {
			targets[i] = collect.Target{AccountID: acct, Config: o.Config}
			continue
		}
		targets[i] = deferred(o.Config, stsClient, sem, acct, RoleARN(partition, acct, roleName))
		if !o.Defer {
			// Entered now, so that a role that cannot be assumed is known before collection
			// starts.
			wg.Add(1)
			go func() {
				defer wg.Done()
				targets[i] = entered(ctx, targets[i])
			}()
		}
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return targets, nil
}

// RoleARN is the ARN of roleName (which may include a path, "audit/Lookout") in an account of
// a partition.
func RoleARN(partition, accountID, roleName string) string {
	return arn.ARN{Partition: partition, Service: "iam", AccountID: accountID, Resource: "role/" + strings.Trim(roleName, "/")}.String()
}

// entered is a deferred target entered at once: the account with its credentials (fetched,
// and cached for every client of the account), or with the reason it cannot be entered.
func entered(ctx context.Context, t collect.Target) collect.Target {
	if err := t.Enter(ctx); err != nil {
		return collect.Target{AccountID: t.AccountID, Err: err}
	}
	t.Enter = nil
	return t
}

// deferred is an account entered by assuming roleARN when the target's Enter is called, under
// the bound sem on AssumeRole calls in flight. The credentials are cached (and refreshed
// before they expire, for long scans) by aws.CredentialsCache for every client of the account.
func deferred(base aws.Config, client *sts.Client, sem chan struct{}, accountID, roleARN string) collect.Target {
	creds := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(client, roleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = SessionName
	}))
	cfg := base.Copy()
	cfg.Credentials = creds
	return collect.Target{AccountID: accountID, Config: cfg, Enter: func(ctx context.Context) *snapshot.ReadError {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return assumeError(roleARN, ctx.Err())
		}
		defer func() { <-sem }()
		if _, err := creds.Retrieve(ctx); err != nil {
			return assumeError(roleARN, err)
		}
		return nil
	}}
}

// assumeError says why an account could not be entered, in the form of a read error so the
// checks can quote it.
func assumeError(roleARN string, err error) *snapshot.ReadError {
	e := &snapshot.ReadError{Operation: "sts:AssumeRole"}
	var api smithy.APIError
	if errors.As(err, &api) {
		e.Code = api.ErrorCode()
		e.Message = api.ErrorMessage()
	} else {
		e.Message = err.Error()
		if i := strings.IndexByte(e.Message, '\n'); i >= 0 {
			e.Message = e.Message[:i]
		}
	}
	e.Message = "cannot assume " + roleARN + ": " + e.Message
	return e
}

// activeAccounts lists the organisation's ACTIVE accounts (suspended, closing and closed
// accounts cannot be entered and hold nothing to audit).
func activeAccounts(ctx context.Context, cfg aws.Config) ([]string, error) {
	var ids []string
	pages := organizations.NewListAccountsPaginator(organizations.NewFromConfig(cfg), &organizations.ListAccountsInput{})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("--org: listing the organisation's accounts (organizations:ListAccounts, "+
				"allowed in the management account or a delegated administrator): %w", err)
		}
		for _, a := range out.Accounts {
			if active(a) {
				ids = append(ids, aws.ToString(a.Id))
			}
		}
	}
	if len(ids) == 0 {
		// Every organisation has an ACTIVE management account; an empty answer means there is
		// no organisation to scan, and a scan of nothing must not look like a clean one.
		return nil, fmt.Errorf("--org: organizations:ListAccounts returned no ACTIVE account (is this account in an organisation?)")
	}
	return ids, nil
}

// active prefers State, which replaces Status (retired in September 2026).
func active(a orgtypes.Account) bool {
	if a.State != "" {
		return a.State == orgtypes.AccountStateActive
	}
	return a.Status == orgtypes.AccountStatusActive
}

// restrict keeps the accounts of want, refusing ids that are not ACTIVE members: a typo would
// otherwise silently shrink the audit.
func restrict(members, want []string) ([]string, error) {
	in := map[string]bool{}
	for _, id := range members {
		in[id] = true
	}
	var out, missing []string
	for _, id := range want {
		if in[id] {
			out = append(out, id)
		} else {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("--accounts: not an ACTIVE account of the organisation: %s", strings.Join(missing, ", "))
	}
	return out, nil
}

// ParseIDs parses a comma-separated list of 12-digit account ids, naming the flag in errors.
func ParseIDs(flag, v string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, id := range strings.Split(v, ",") {
		id = strings.TrimSpace(id)
		if id == "" || seen[id] {
			continue
		}
		if len(id) != 12 || strings.Trim(id, "0123456789") != "" {
			return nil, fmt.Errorf("%s: %q is not an AWS account id (12 digits)", flag, id)
		}
		seen[id] = true
		out = append(out, id)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no account id given", flag)
	}
	return out, nil
}
