package scancmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"

	"github.com/lookout-audit/lookout/report"
)

// Security Hub import (--security-hub): every finding, as ASFF, sent with BatchImportFindings
// (Security Hub API Reference) to the account it is about, in its region, as that account's
// custom integration (product/<account>/default). A BatchImportFindings call of the default
// product must come from the finding's own account, so each account's findings are sent with
// that account's credentials.

// HubBatchSize is BatchImportFindings' limit of findings per call.
const HubBatchSize = 100

// hubAttempts bounds the tries of a finding Security Hub reports as failed with a transient
// error code (the SDK's retryer already retries throttled and failed calls).
const hubAttempts = 3

// hubConcurrency bounds the (account, region) groups imported at once.
const hubConcurrency = 4

// HubResult is the outcome of one (account, region) group.
type HubResult struct {
	Account, Region string
	Imported        int
	// Failed maps a finding id to why Security Hub refused it; Err is set when the group could
	// not be sent at all (no credentials for the account, Security Hub not enabled...).
	Failed map[string]string
	Err    error
	Total  int
}

// ImportToSecurityHub imports the report's findings, grouped by (account, region), in batches
// of HubBatchSize. configs holds each account's SDK configuration; findings of an account
// without one (it could not be entered) are not sent and are reported as such. It returns one
// result per group, sorted, and an error when anything was not imported.
func ImportToSecurityHub(ctx context.Context, rep *report.Report, configs map[string]aws.Config) ([]HubResult, error) {
	findings := report.ASFF(rep, report.ASFFOptions{})
	type key struct{ account, region string }
	groups := map[key][]report.ASFFFinding{}
	var keys []key
	for _, f := range findings {
		k := key{f.AwsAccountId, f.Region}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], f)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].account != keys[j].account {
			return keys[i].account < keys[j].account
		}
		return keys[i].region < keys[j].region
	})
	results := make([]HubResult, len(keys))
	// At most hubConcurrency imports at once. Each import honours ctx, so after an interrupt
	// the slots free at once and the groups not started are reported as not imported.
	var g errgroup.Group
	g.SetLimit(hubConcurrency)
	for i, k := range keys {
		results[i] = HubResult{Account: k.account, Region: k.region, Total: len(groups[k]), Failed: map[string]string{}}
		cfg, ok := configs[k.account]
		if !ok {
			results[i].Err = fmt.Errorf("no credentials for account %s (it could not be entered)", k.account)
			continue
		}
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				results[i].Err = err
				return nil
			}
			importGroup(ctx, cfg, groups[k], &results[i])
			return nil
		})
	}
	_ = g.Wait() // each group's outcome is in results
	var problems []string
	for _, r := range results {
		if r.Err != nil {
			problems = append(problems, fmt.Sprintf("%s %s: %v", r.Account, r.Region, r.Err))
		} else if len(r.Failed) > 0 {
			problems = append(problems, fmt.Sprintf("%s %s: %d finding(s) refused", r.Account, r.Region, len(r.Failed)))
		}
	}
	if len(problems) > 0 {
		return results, fmt.Errorf("Security Hub import incomplete: %s", strings.Join(problems, "; "))
	}
	return results, nil
}

// importGroup sends one account and region's findings, batch by batch; findings Security Hub
// refuses with a transient error are sent again, at most hubAttempts times in all.
func importGroup(ctx context.Context, cfg aws.Config, fs []report.ASFFFinding, res *HubResult) {
	client := securityhub.NewFromConfig(cfg, func(o *securityhub.Options) { o.Region = res.Region })
	for start := 0; start < len(fs); start += HubBatchSize {
		batch := fs[start:min(start+HubBatchSize, len(fs))]
		byID := map[string]report.ASFFFinding{}
		for _, f := range batch {
			byID[f.Id] = f
		}
		pending := batch
		for attempt := 1; ; attempt++ {
			out, err := client.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: toSDK(pending)})
			if err != nil {
				res.Err = hubError(err, res.Region)
				return
			}
			res.Imported += len(pending) - len(out.FailedFindings)
			var retry []report.ASFFFinding
			for _, e := range out.FailedFindings {
				id := aws.ToString(e.Id)
				if f, ok := byID[id]; ok && transient(aws.ToString(e.ErrorCode)) && attempt < hubAttempts {
					retry = append(retry, f)
					continue
				}
				res.Failed[id] = aws.ToString(e.ErrorCode) + ": " + aws.ToString(e.ErrorMessage)
			}
			if len(retry) == 0 {
				break
			}
			// Back off before sending the transient failures again.
			select {
			case <-ctx.Done():
				res.Err = ctx.Err()
				return
			case <-time.After(time.Duration(attempt) * 500 * time.Millisecond):
			}
			pending = retry
		}
	}
}

// transient reports whether a per-finding error code is worth another try.
func transient(code string) bool {
	c := strings.ToLower(code)
	return strings.Contains(c, "throttl") || strings.Contains(c, "internal") || strings.Contains(c, "limitexceeded") ||
		strings.Contains(c, "serviceunavailable") || strings.Contains(c, "timeout")
}

// hubError explains a failed BatchImportFindings call, with the likely remedy for the usual
// causes: Security Hub not enabled in the region, or the permission missing.
func hubError(err error, region string) error {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "InvalidAccessException":
			return fmt.Errorf("securityhub:BatchImportFindings: %s: %s (enable Security Hub in %s, or leave this region out with --regions)",
				api.ErrorCode(), api.ErrorMessage(), region)
		case "AccessDeniedException", "AccessDenied":
			return fmt.Errorf("securityhub:BatchImportFindings: %s: %s (grant policies/lookout-securityhub.json)", api.ErrorCode(), api.ErrorMessage())
		}
		return fmt.Errorf("securityhub:BatchImportFindings: %s: %s", api.ErrorCode(), api.ErrorMessage())
	}
	return fmt.Errorf("securityhub:BatchImportFindings: %w", err)
}

// WriteHubSummary writes what was imported where, and what was not, to w (stderr).
func WriteHubSummary(w io.Writer, results []HubResult) {
	imported, groups := 0, 0
	for _, r := range results {
		imported += r.Imported
		if r.Imported > 0 {
			groups++
		}
	}
	fmt.Fprintf(w, "lookout: Security Hub: imported %d finding(s) into %d account/region(s)\n", imported, groups)
	for _, r := range results {
		switch {
		case r.Err != nil:
			fmt.Fprintf(w, "lookout: Security Hub: account %s, %s: %d finding(s) not imported: %v\n", r.Account, r.Region, r.Total-r.Imported, r.Err)
		case len(r.Failed) > 0:
			ids := make([]string, 0, len(r.Failed))
			for id := range r.Failed {
				ids = append(ids, id)
			}
			sort.Strings(ids)
			fmt.Fprintf(w, "lookout: Security Hub: account %s, %s: %d finding(s) refused, e.g. %s: %s\n", r.Account, r.Region, len(r.Failed), ids[0], r.Failed[ids[0]])
		}
	}
}

// toSDK converts ASFF findings to the SDK's input type, field for field.
func toSDK(fs []report.ASFFFinding) []shtypes.AwsSecurityFinding {
	out := make([]shtypes.AwsSecurityFinding, len(fs))
	for i, f := range fs {
		sev := &shtypes.Severity{Label: shtypes.SeverityLabel(f.Severity.Label), Original: nonEmpty(f.Severity.Original)}
		s := shtypes.AwsSecurityFinding{
			SchemaVersion: aws.String(f.SchemaVersion),
			Id:            aws.String(f.Id),
			ProductArn:    aws.String(f.ProductArn),
			ProductName:   nonEmpty(f.ProductName),
			CompanyName:   nonEmpty(f.CompanyName),
			GeneratorId:   aws.String(f.GeneratorId),
			AwsAccountId:  aws.String(f.AwsAccountId),
			Region:        nonEmpty(f.Region),
			Types:         f.Types,
			CreatedAt:     aws.String(f.CreatedAt),
			UpdatedAt:     aws.String(f.UpdatedAt),
			Severity:      sev,
			Title:         aws.String(f.Title),
			Description:   aws.String(f.Description),
			ProductFields: f.ProductFields,
			RecordState:   shtypes.RecordState(f.RecordState),
			Compliance: &shtypes.Compliance{
				Status:              shtypes.ComplianceStatus(f.Compliance.Status),
				RelatedRequirements: f.Compliance.RelatedRequirements,
			},
			FindingProviderFields: &shtypes.FindingProviderFields{
				Severity: &shtypes.FindingProviderSeverity{Label: shtypes.SeverityLabel(f.FindingProviderFields.Severity.Label),
					Original: nonEmpty(f.FindingProviderFields.Severity.Original)},
				Types: f.FindingProviderFields.Types,
			},
		}
		for _, r := range f.Compliance.StatusReasons {
			s.Compliance.StatusReasons = append(s.Compliance.StatusReasons, shtypes.StatusReason{ReasonCode: aws.String(r.ReasonCode), Description: nonEmpty(r.Description)})
		}
		for _, r := range f.Resources {
			s.Resources = append(s.Resources, shtypes.Resource{Type: aws.String(r.Type), Id: aws.String(r.Id),
				Partition: shtypes.Partition(r.Partition), Region: nonEmpty(r.Region)})
		}
		if f.Remediation != nil {
			s.Remediation = &shtypes.Remediation{Recommendation: &shtypes.Recommendation{
				Text: nonEmpty(f.Remediation.Recommendation.Text), Url: nonEmpty(f.Remediation.Recommendation.Url)}}
		}
		out[i] = s
	}
	return out
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}
