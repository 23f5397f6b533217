// Package motoorg builds AWS Organizations inside moto_server for lookout's multi-account
// tests and benchmarks: member accounts, credentials that act in them, and roles that refuse
// to be assumed. It talks to moto only through the AWS SDK, as lookout does.
package motoorg

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Create makes the caller of cfg the management account of a new organisation with members
// more accounts, and returns every ACTIVE account id (management included), sorted.
func Create(ctx context.Context, cfg aws.Config, members int) ([]string, error) {
	org := organizations.NewFromConfig(cfg)
	if _, err := org.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll}); err != nil {
		return nil, fmt.Errorf("organizations:CreateOrganization: %w", err)
	}
	for i := 0; i < members; i++ {
		_, err := org.CreateAccount(ctx, &organizations.CreateAccountInput{
			AccountName: aws.String(fmt.Sprintf("member-%03d", i)),
			Email:       aws.String(fmt.Sprintf("member-%03d@example.com", i)),
		})
		if err != nil {
			return nil, fmt.Errorf("organizations:CreateAccount %d: %w", i, err)
		}
	}
	var ids []string
	pages := organizations.NewListAccountsPaginator(org, &organizations.ListAccountsInput{})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("organizations:ListAccounts: %w", err)
		}
		for _, a := range out.Accounts {
			ids = append(ids, aws.ToString(a.Id))
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// Close closes a member account (moto marks it SUSPENDED/CLOSED, as AWS does while closing).
func Close(ctx context.Context, cfg aws.Config, accountID string) error {
	_, err := organizations.NewFromConfig(cfg).CloseAccount(ctx, &organizations.CloseAccountInput{AccountId: aws.String(accountID)})
	if err != nil {
		return fmt.Errorf("organizations:CloseAccount %s: %w", accountID, err)
	}
	return nil
}

// In returns a copy of cfg whose credentials act in accountID (moto lets any caller assume a
// role that does not exist, in any account).
func In(cfg aws.Config, accountID string) aws.Config {
	c := cfg.Copy()
	c.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg),
		fmt.Sprintf("arn:aws:iam::%s:role/motoorg-setup", accountID)))
	return c
}

// DenyRole creates roleName in accountID with a trust policy that admits only another account,
// so that the caller of cfg is refused sts:AssumeRole on it (the repository's moto launcher
// enforces trust policies of roles that exist).
func DenyRole(ctx context.Context, cfg aws.Config, accountID, roleName string) error {
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"sts:AssumeRole"}]}`
	_, err := iam.NewFromConfig(In(cfg, accountID)).CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String(roleName),
		AssumeRolePolicyDocument: aws.String(trust),
	})
	if err != nil {
		return fmt.Errorf("iam:CreateRole %s in %s: %w", roleName, accountID, err)
	}
	return nil
}

// Members is ids without the management account: the organisation's member accounts.
func Members(ids []string, management string) []string {
	return slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == management })
}
