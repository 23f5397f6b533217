// Package awsarn is lookout's one home for Amazon Resource Names: parsing with the SDK's
// aws/arn parser, so that every partition (aws, aws-cn, aws-us-gov) is understood, and
// building them in the partition of the account they belong to.
package awsarn

import "github.com/aws/aws-sdk-go-v2/aws/arn"

// DefaultPartition is the partition of an account whose partition was not recorded: the
// commercial regions, where STS answers from when no other partition is configured.
const DefaultPartition = "aws"

// ARN is a parsed Amazon Resource Name.
type ARN struct {
	Partition, Service, Region, Account, Resource string
}

// Parse splits an ARN; ok is false for anything that is not arn:partition:service:....
func Parse(s string) (a ARN, ok bool) {
	p, err := arn.Parse(s)
	if err != nil || p.Service == "" {
		return ARN{}, false
	}
	return ARN{Partition: p.Partition, Service: p.Service, Region: p.Region, Account: p.AccountID, Resource: p.Resource}, true
}

// Build writes an ARN, in DefaultPartition when partition is "".
func Build(partition, service, region, account, resource string) string {
	return ARN{Partition: partition, Service: service, Region: region, Account: account, Resource: resource}.String()
}

// String is the ARN again.
func (a ARN) String() string {
	p := a.Partition
	if p == "" {
		p = DefaultPartition
	}
	return arn.ARN{Partition: p, Service: a.Service, Region: a.Region, AccountID: a.Account, Resource: a.Resource}.String()
}

// AccountOf is the account id an ARN names ("" for anything else).
func AccountOf(s string) string {
	a, _ := Parse(s)
	return a.Account
}
