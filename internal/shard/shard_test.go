package shard

import (
	"fmt"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == IndexEnv {
				return v
			}
			return ""
		}
	}
	tests := []struct {
		name, in string
		getenv   func(string) string
		want     Spec
		wantErr  string // substring; "" means success
	}{
		{name: "first of three", in: "1/3", want: Spec{1, 3}},
		{name: "last of three", in: "3/3", want: Spec{3, 3}},
		{name: "one shard is the whole set", in: "1/1", want: Spec{1, 1}},
		{name: "spaces tolerated", in: " 2 / 4 ", want: Spec{2, 4}},
		{name: "k8s index is 0-based, K is 1-based", in: "index/3", getenv: env("0"), want: Spec{1, 3}},
		{name: "k8s last index", in: "index/3", getenv: env("2"), want: Spec{3, 3}},
		{name: "k8s index past N", in: "index/3", getenv: env("3"), wantErr: "K must be from 1 to 3"},
		{name: "k8s index unset", in: "index/3", getenv: env(""), wantErr: "JOB_COMPLETION_INDEX is not set"},
		{name: "k8s index not a number", in: "index/3", getenv: env("two"), wantErr: "not a completion index"},
		{name: "zero-based K refused", in: "0/3", wantErr: "K must be from 1 to 3"},
		{name: "K past N", in: "4/3", wantErr: "K must be from 1 to 3"},
		{name: "no slash", in: "3", wantErr: "not K/N"},
		{name: "zero shards", in: "1/0", wantErr: "N must be"},
		{name: "negative N", in: "1/-2", wantErr: "N must be"},
		{name: "K not a number", in: "a/3", wantErr: "K must be a whole number"},
		{name: "empty", in: "", wantErr: "not K/N"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := tt.getenv
			if getenv == nil {
				getenv = env("")
			}
			got, err := Parse(tt.in, getenv)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Parse(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
			if got.String() != fmt.Sprintf("%d/%d", tt.want.K, tt.want.N) {
				t.Errorf("String() = %q", got.String())
			}
		})
	}
}

func accountIDs(from, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%012d", 100000000000+from+i*7919)
	}
	return out
}

// Every account lands in exactly one shard, and the shards together are the whole set.
func TestShardsPartitionTheAccounts(t *testing.T) {
	ids := accountIDs(0, 500)
	for _, n := range []int{1, 2, 3, 7} {
		seen := map[string]int{}
		for k := 1; k <= n; k++ {
			part := Spec{K: k, N: n}.Filter(ids)
			// A hash spreads 500 accounts roughly evenly; a shard with under half its fair
			// share would mean the hash is not spreading at all.
			if n > 1 && len(part) < len(ids)/n/2 {
				t.Errorf("shard %d/%d got %d of %d accounts", k, n, len(part), len(ids))
			}
			for _, id := range part {
				seen[id]++
			}
		}
		for _, id := range ids {
			if seen[id] != 1 {
				t.Fatalf("N=%d: account %s is in %d shards, want 1", n, id, seen[id])
			}
		}
	}
}

// Adding accounts (or listing them in another order) never moves an existing account to
// another shard: assignment is by hash, not by position.
func TestAssignmentIsStableWhenAccountsJoin(t *testing.T) {
	before := accountIDs(0, 200)
	after := append(accountIDs(3, 50), before...) // new accounts listed first
	for _, n := range []int{2, 3, 5} {
		where := map[string]int{}
		for k := 1; k <= n; k++ {
			for _, id := range (Spec{K: k, N: n}).Filter(before) {
				where[id] = k
			}
		}
		for k := 1; k <= n; k++ {
			for _, id := range (Spec{K: k, N: n}).Filter(after) {
				if old, ok := where[id]; ok && old != k {
					t.Fatalf("N=%d: account %s moved from shard %d to %d when accounts were added", n, id, old, k)
				}
			}
		}
	}
}

func TestDisabledSpecKeepsEverything(t *testing.T) {
	ids := accountIDs(0, 5)
	var s Spec
	if s.Enabled() || s.String() != "" {
		t.Fatalf("zero Spec: Enabled=%v String=%q", s.Enabled(), s.String())
	}
	if got := s.Filter(ids); len(got) != len(ids) {
		t.Fatalf("zero Spec kept %d of %d accounts", len(got), len(ids))
	}
}
