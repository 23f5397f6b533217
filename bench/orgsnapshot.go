package bench

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

// DemoOrgFile is the demo organisation's snapshot, relative to this package.
const DemoOrgFile = "../fixtures/demo-org.json"

// OrgSnapshot clones the member accounts of demo (every account but the organisation's
// management account, the one that owns an organisation trail) to n accounts, taken in turn,
// each under a fresh 12-digit id (500000000000 + i) written everywhere the member's own id
// appeared (ARNs, bucket names, policies). What a member names of another account (the
// management account's organisation trail) is kept. demo is not modified.
func OrgSnapshot(demo *snapshot.Snapshot, n int) (*snapshot.Snapshot, error) {
	members, err := demoMembers(demo)
	if err != nil {
		return nil, err
	}
	texts := make([][]byte, len(members))
	for i, m := range members {
		if texts[i], err = json.Marshal(m); err != nil {
			return nil, err
		}
	}
	out := *demo
	out.Regions = append([]string(nil), demo.Regions...)
	out.Accounts = make([]snapshot.Account, n)
	for i := range n {
		m := i % len(members)
		id := fmt.Sprintf("%012d", 500000000000+i)
		text := bytes.ReplaceAll(texts[m], []byte(members[m].ID), []byte(id))
		if err := json.Unmarshal(text, &out.Accounts[i]); err != nil {
			return nil, fmt.Errorf("account %s: %w", id, err)
		}
	}
	out.Sort()
	if err := out.Validate(); err != nil {
		return nil, err
	}
	return &out, nil
}

// demoMembers are demo's accounts other than its management account.
func demoMembers(demo *snapshot.Snapshot) ([]snapshot.Account, error) {
	management := ""
	for _, a := range demo.Accounts {
		for _, t := range a.Trails {
			if t.IsOrganizationTrail && strings.Contains(t.ARN, ":"+a.ID+":") {
				management = a.ID
			}
		}
	}
	var members []snapshot.Account
	for _, a := range demo.Accounts {
		if a.ID != management {
			members = append(members, a)
		}
	}
	if len(members) == 0 {
		return nil, errors.New("the demo snapshot has no member account")
	}
	return members, nil
}

// WriteOrgSnapshot writes the demo organisation's members cloned to n accounts to path, as
// `lookout collect` writes a snapshot.
func WriteOrgSnapshot(path string, n int) error {
	demo, err := snapshot.Load(DemoOrgFile)
	if err != nil {
		return err
	}
	s, err := OrgSnapshot(demo, n)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := snapshot.Write(f, s); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
