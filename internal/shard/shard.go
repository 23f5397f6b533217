// Package shard splits a set of AWS accounts over N machines, so that a CI matrix or a
// Kubernetes Indexed Job can scan a large organisation in parallel and `lookout merge` can join
// the parts.
//
// An account's shard depends only on its id and N (a hash, not its position in a list): when
// accounts join or leave the organisation, every other account stays in the shard it was in,
// so each machine's share, and its SARIF category, stay put from one run to the next.
package shard

import (
	"fmt"
	"hash/fnv"
	"os"
	"strconv"
	"strings"
)

// IndexEnv is the variable a Kubernetes Indexed Job sets to the pod's 0-based completion index.
const IndexEnv = "JOB_COMPLETION_INDEX"

// Spec is shard K of N, 1 ≤ K ≤ N. The zero Spec means "not sharded".
type Spec struct {
	K, N int
}

// Enabled reports whether s selects a part of the accounts.
func (s Spec) Enabled() bool { return s.N > 0 }

// String is "K/N", the form --shard takes and the JSON report's scope.shard holds; "" when not
// sharded.
func (s Spec) String() string {
	if !s.Enabled() {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.K, s.N)
}

// Parse reads "K/N" (1-based, as in "shard 2 of 3"). K may be the word "index", which takes
// K from $JOB_COMPLETION_INDEX + 1, so every pod of a Kubernetes Indexed Job can run the same
// command line. getenv is os.Getenv when nil.
func Parse(v string, getenv func(string) string) (Spec, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	ks, ns, ok := strings.Cut(strings.TrimSpace(v), "/")
	if !ok {
		return Spec{}, fmt.Errorf("%q is not K/N (e.g. 2/3, or index/3 in a Kubernetes Indexed Job)", v)
	}
	n, err := strconv.Atoi(strings.TrimSpace(ns))
	if err != nil || n < 1 {
		return Spec{}, fmt.Errorf("%q: N must be a whole number of shards, 1 or more", v)
	}
	var k int
	if strings.TrimSpace(ks) == "index" {
		idx := getenv(IndexEnv)
		if idx == "" {
			return Spec{}, fmt.Errorf("%q: K is \"index\" but $%s is not set (it is set in the pods of a Kubernetes Indexed Job)", v, IndexEnv)
		}
		i, err := strconv.Atoi(idx)
		if err != nil || i < 0 {
			return Spec{}, fmt.Errorf("$%s=%q is not a completion index (0, 1, ...)", IndexEnv, idx)
		}
		k = i + 1
	} else if k, err = strconv.Atoi(strings.TrimSpace(ks)); err != nil {
		return Spec{}, fmt.Errorf("%q: K must be a whole number from 1 to N", v)
	}
	if k < 1 || k > n {
		return Spec{}, fmt.Errorf("%q: K must be from 1 to %d", v, n)
	}
	return Spec{K: k, N: n}, nil
}

// Of returns the 1-based shard an account belongs to among n: FNV-1a of the account id,
// modulo n.
func Of(accountID string, n int) int {
	h := fnv.New64a()
	h.Write([]byte(accountID))
	return int(h.Sum64()%uint64(n)) + 1
}

// Contains reports whether the account belongs to shard s (every account does when s is not
// enabled).
func (s Spec) Contains(accountID string) bool {
	return !s.Enabled() || Of(accountID, s.N) == s.K
}

// Filter returns the accounts of ids that belong to s, in their original order.
func (s Spec) Filter(ids []string) []string {
	if !s.Enabled() {
		return ids
	}
	out := []string{}
	for _, id := range ids {
		if s.Contains(id) {
			out = append(out, id)
		}
	}
	return out
}
