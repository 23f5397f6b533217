package report_test

import (
	"testing"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/report"
	"github.com/lookout-audit/lookout/report/sariftest"
)

// Whatever a resource id, region or service holds, the SARIF location is one GitHub accepts.
func FuzzLocationURI(f *testing.F) {
	f.Add("123456789012", "us-east-1", "cloudtrail", "arn:aws:cloudtrail:us-east-1:123456789012:trail/main")
	f.Add("", "", "", "")
	f.Add("a b", "..", ".", "arn:aws:logs:us-east-1:1:log-group:/a//b/../c:*")
	f.Add("x:y", "global", "s3", "http://example.com/x")
	f.Fuzz(func(t *testing.T, account, region, service, resource string) {
		fd := checks.Finding{CheckID: "c", Account: account, Region: region, Resource: resource}
		uri := report.LocationURI(fd, service)
		if p := sariftest.URIProblem(uri); p != "" {
			t.Fatalf("LocationURI(%q, %q, %q, %q) = %q: %s", account, region, service, resource, uri, p)
		}
	})
}
