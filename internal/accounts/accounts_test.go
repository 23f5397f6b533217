package accounts

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/lookout-audit/lookout/internal/collect"
	"github.com/lookout-audit/lookout/internal/motoorg"
	"github.com/lookout-audit/lookout/internal/motoserver"
	"github.com/lookout-audit/lookout/internal/shard"
)

// One moto server for the package; each test resets it.
var srv *motoserver.Server

func TestMain(m *testing.M) { os.Exit(motoserver.RunShared(m, &srv)) }

func moto(t *testing.T) (context.Context, aws.Config) {
	t.Helper()
	if srv == nil {
		motoserver.Require(t)
	}
	srv.Reset(t)
	return motoserver.Ctx(t), srv.Config("us-east-1")
}

// whoAmI proves a target's credentials act in the account it claims.
func whoAmI(t *testing.T, ctx context.Context, tg collect.Target) string {
	t.Helper()
	out, err := sts.NewFromConfig(tg.Config).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("account %s: GetCallerIdentity: %v", tg.AccountID, err)
	}
	return aws.ToString(out.Account)
}

func TestOrgListsActiveAccountsAndAssumesRole(t *testing.T) {
	ctx, cfg := moto(t)
	ids, err := motoorg.Create(ctx, cfg, 4)
	if err != nil {
		t.Fatal(err)
	}
	members := motoorg.Members(ids, motoserver.DefaultAccount)
	closed, denied := members[0], members[1]
	if err := motoorg.Close(ctx, cfg, closed); err != nil {
		t.Fatal(err)
	}
	if err := motoorg.DenyRole(ctx, cfg, denied, "LookoutAudit"); err != nil {
		t.Fatal(err)
	}

	targets, err := Resolve(ctx, Options{Config: cfg, Org: true, RoleName: "LookoutAudit"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tg := range targets {
		got = append(got, tg.AccountID)
		switch {
		case tg.AccountID == closed:
			t.Errorf("closed account %s was scanned", closed)
		case tg.AccountID == denied:
			if tg.Err == nil || tg.Err.Operation != "sts:AssumeRole" || tg.Err.Code != "AccessDenied" ||
				!strings.Contains(tg.Err.Message, "arn:aws:iam::"+denied+":role/LookoutAudit") {
				t.Errorf("denied account: Err = %+v, want sts:AssumeRole AccessDenied naming the role", tg.Err)
			}
		default:
			if tg.Err != nil {
				t.Errorf("account %s: unexpected error %v", tg.AccountID, tg.Err)
				continue
			}
			if who := whoAmI(t, ctx, tg); who != tg.AccountID {
				t.Errorf("target %s acts in account %s", tg.AccountID, who)
			}
		}
	}
	if len(got) != len(ids)-1 {
		t.Errorf("targets %v, want the %d ACTIVE accounts of %v", got, len(ids)-1, ids)
	}
	for i := 1; i < len(got); i++ {
		if got[i-1] >= got[i] {
			t.Errorf("targets not sorted: %v", got)
		}
	}
	// The caller's own account is read with its own credentials, no AssumeRole.
	for _, tg := range targets {
		if _, assumed := tg.Config.Credentials.(*aws.CredentialsCache); tg.AccountID == motoserver.DefaultAccount && assumed {
			t.Errorf("caller's account should use the caller's credentials, not an assumed role")
		}
	}
}

func TestAccountsLimitsTheOrg(t *testing.T) {
	ctx, cfg := moto(t)
	ids, err := motoorg.Create(ctx, cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	pick := []string{ids[2], ids[0]}
	targets, err := Resolve(ctx, Options{Config: cfg, Org: true, Accounts: pick})
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) != 2 || targets[0].AccountID != ids[0] || targets[1].AccountID != ids[2] {
		t.Fatalf("targets %+v, want %s and %s", targets, ids[0], ids[2])
	}

	_, err = Resolve(ctx, Options{Config: cfg, Org: true, Accounts: []string{ids[1], "555555555555"}})
	if err == nil || !strings.Contains(err.Error(), "555555555555") || strings.Contains(err.Error(), ids[1]) {
		t.Fatalf("unknown account in --accounts: err = %v, want one naming 555555555555 only", err)
	}
}

// Without --org, --accounts is the set itself (no Organizations call needed).
func TestAccountsWithoutOrg(t *testing.T) {
	ctx, cfg := moto(t)
	targets, err := Resolve(ctx, Options{Config: cfg, Accounts: []string{"222222222222", motoserver.DefaultAccount}})
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) != 2 || targets[0].AccountID != motoserver.DefaultAccount || targets[1].AccountID != "222222222222" {
		t.Fatalf("targets %+v", targets)
	}
	if who := whoAmI(t, ctx, targets[1]); who != "222222222222" {
		t.Fatalf("assumed credentials act in %s", who)
	}
}

func TestOrgNotInUse(t *testing.T) {
	ctx, cfg := moto(t)
	_, err := Resolve(ctx, Options{Config: cfg, Org: true})
	if err == nil || !strings.Contains(err.Error(), "organizations:ListAccounts") {
		t.Fatalf("err = %v, want one naming organizations:ListAccounts", err)
	}
}

// The shards of an organisation are disjoint and together are the whole organisation.
func TestShardsCoverTheOrg(t *testing.T) {
	ctx, cfg := moto(t)
	ids, err := motoorg.Create(ctx, cfg, 8)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for k := 1; k <= 3; k++ {
		targets, err := Resolve(ctx, Options{Config: cfg, Org: true, Shard: shard.Spec{K: k, N: 3}})
		if err != nil {
			t.Fatal(err)
		}
		for _, tg := range targets {
			seen[tg.AccountID]++
			if shard.Of(tg.AccountID, 3) != k {
				t.Errorf("account %s in shard %d, but hashes to %d", tg.AccountID, k, shard.Of(tg.AccountID, 3))
			}
		}
	}
	for _, id := range ids {
		if seen[id] != 1 {
			t.Errorf("account %s scanned by %d shards, want 1", id, seen[id])
		}
	}
}

func TestParseIDs(t *testing.T) {
	tests := []struct{ in, wantErr string }{
		{"111111111111,222222222222", ""},
		{" 111111111111 , 111111111111 ", ""},
		{"11111111111", "not an AWS account id"},
		{"1111111111a1", "not an AWS account id"},
		{",", "no account id"},
	}
	for _, tt := range tests {
		_, err := ParseIDs("--accounts", tt.in)
		if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("ParseIDs(%q) err = %v, want %q", tt.in, err, tt.wantErr)
		}
	}
}

func TestRoleARN(t *testing.T) {
	for _, c := range []struct{ partition, role, want string }{
		{"aws-us-gov", "/audit/Lookout/", "arn:aws-us-gov:iam::111111111111:role/audit/Lookout"},
		{"aws-cn", "Lookout", "arn:aws-cn:iam::111111111111:role/Lookout"},
		{"aws", "OrganizationAccountAccessRole", "arn:aws:iam::111111111111:role/OrganizationAccountAccessRole"},
	} {
		if got := RoleARN(c.partition, "111111111111", c.role); got != c.want {
			t.Errorf("RoleARN(%s, %s) = %s, want %s", c.partition, c.role, got, c.want)
		}
	}
}

// TestDeferredEntry: with Defer, Resolve assumes nothing; each member target enters its
// account on Enter (the denied one with the same sts:AssumeRole error Resolve records without
// Defer), and the collector records that error in the target and the snapshot.
func TestDeferredEntry(t *testing.T) {
	ctx, cfg := moto(t)
	ids, err := motoorg.Create(ctx, cfg, 2)
	if err != nil {
		t.Fatal(err)
	}
	members := motoorg.Members(ids, motoserver.DefaultAccount)
	denied, allowed := members[0], members[1]
	if err := motoorg.DenyRole(ctx, cfg, denied, "LookoutAudit"); err != nil {
		t.Fatal(err)
	}
	targets, err := Resolve(ctx, Options{Config: cfg, Org: true, RoleName: "LookoutAudit", Defer: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range targets {
		tg := &targets[i]
		if tg.Err != nil {
			t.Errorf("account %s entered before the collector came to it: %v", tg.AccountID, tg.Err)
		}
		switch tg.AccountID {
		case motoserver.DefaultAccount:
			if tg.Enter != nil {
				t.Error("the caller's own account needs no entering")
			}
		case allowed:
			if tg.Enter == nil {
				t.Fatalf("allowed account %s: no Enter", allowed)
			}
			if err := tg.Enter(ctx); err != nil {
				t.Fatalf("allowed account %s: Enter: %v", allowed, err)
			}
			if who := whoAmI(t, ctx, *tg); who != allowed {
				t.Errorf("target %s acts in account %s", allowed, who)
			}
		}
	}
	snap, err := collect.New(collect.Options{Regions: []string{"us-east-1"}}).Snapshot(ctx, targets)
	if err != nil {
		t.Fatal(err)
	}
	for i, tg := range targets {
		a := snap.Accounts[i]
		if tg.AccountID != denied {
			if tg.Err != nil || a.Error != nil {
				t.Errorf("account %s: target error %v, snapshot error %v", tg.AccountID, tg.Err, a.Error)
			}
			continue
		}
		if tg.Err == nil || tg.Err.Operation != "sts:AssumeRole" || tg.Err.Code != "AccessDenied" ||
			!strings.Contains(tg.Err.Message, "arn:aws:iam::"+denied+":role/LookoutAudit") || a.Error != tg.Err || len(a.Regions) != 0 {
			t.Errorf("denied account: target Err %+v, snapshot error %+v, %d regions; want sts:AssumeRole AccessDenied naming the role, no region", tg.Err, a.Error, len(a.Regions))
		}
	}
}
