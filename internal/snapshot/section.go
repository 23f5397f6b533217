package snapshot

import (
	"fmt"

	"github.com/lookout-audit/lookout/internal/awsarn"
)

// A section is one service's part of a region (Region.EventBridge, Region.Logs, ...): nil when
// the collector did not read that service, with its Error set when reading it failed. Gap is
// the one way a check asks which of the three it holds, so that "not read" and "failed" are
// never mistaken for "read, and empty".
type section interface{ readError() *ReadError }

func (d *CloudTrailView) readError() *ReadError  { return d.Error }
func (d *EventBridgeData) readError() *ReadError { return d.Error }
func (d *LogsData) readError() *ReadError        { return d.Error }
func (d *CloudWatchData) readError() *ReadError  { return d.Error }
func (d *SNSData) readError() *ReadError         { return d.Error }
func (d *LambdaData) readError() *ReadError      { return d.Error }
func (d *EC2Data) readError() *ReadError         { return d.Error }
func (d *SSMData) readError() *ReadError         { return d.Error }
func (d *ActivityData) readError() *ReadError    { return d.Error }

// Gap says why a section cannot be judged: it was not collected (Err nil), or reading it
// failed (Err set). Service names the section as a message does ("EventBridge").
type Gap struct {
	Service string
	Region  string
	Err     *ReadError
}

// Error renders the gap for a message: "EventBridge was not collected in us-east-1" or
// "could not read EventBridge in us-east-1: events:ListRules: AccessDenied: ...".
func (g *Gap) Error() string {
	if g.Err == nil {
		return fmt.Sprintf("%s was not collected in %s", g.Service, g.Region)
	}
	return fmt.Sprintf("could not read %s in %s: %s", g.Service, g.Region, g.Err.Error())
}

// GapIn is the gap of section sec, read in region as service, or nil when it was read.
func GapIn[S any, P interface {
	*S
	section
}](sec P, service, region string) *Gap {
	if sec == nil {
		return &Gap{Service: service, Region: region}
	}
	if e := sec.readError(); e != nil {
		return &Gap{Service: service, Region: region, Err: e}
	}
	return nil
}

// PartitionName is the account's ARN partition, awsarn.DefaultPartition when not recorded.
func (a *Account) PartitionName() string {
	if a.Partition == "" {
		return awsarn.DefaultPartition
	}
	return a.Partition
}

// ARN builds an ARN of the account's own, in its partition.
func (a *Account) ARN(service, region, resource string) string {
	return awsarn.Build(a.PartitionName(), service, region, a.ID, resource)
}

// FindAccount is the account with this id, or nil.
func (s *Snapshot) FindAccount(id string) *Account {
	for i := range s.Accounts {
		if s.Accounts[i].ID == id {
			return &s.Accounts[i]
		}
	}
	return nil
}

// FindRegion is one region of one account. where explains a nil answer ("account
// 222222222222 is not in this scan", "region eu-west-1 of account ... was not scanned"), since
// a path that leads out of what was read cannot be judged.
func (s *Snapshot) FindRegion(account, region string) (r *Region, where string) {
	a := s.FindAccount(account)
	if a == nil {
		return nil, fmt.Sprintf("account %s is not in this scan (not listed, or could not be entered)", account)
	}
	if r := a.Region(region); r != nil {
		return r, ""
	}
	return nil, fmt.Sprintf("region %s of account %s was not scanned", region, account)
}

// PartitionOf is the partition of an account in the snapshot (the default when the account is
// not in it or its partition was not recorded).
func (s *Snapshot) PartitionOf(account string) string {
	if a := s.FindAccount(account); a != nil {
		return a.PartitionName()
	}
	return awsarn.DefaultPartition
}
