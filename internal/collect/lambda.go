package collect

import (
	"context"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

// collectLambda lists the region's functions so that the checks can tell whether a rule's
// Lambda target still exists. Only identity fields are kept: never the code location, and
// never the environment, whose values often hold webhook URLs and tokens (the Slack webhook's
// HOOK_URL of the console sign-in alert design).
func collectLambda(ctx context.Context, c *regionClients, r *snapshot.Region) {
	d := &snapshot.LambdaData{Functions: []snapshot.Function{}}
	r.Lambda = d
	p := lambda.NewListFunctionsPaginator(c.lambda, &lambda.ListFunctionsInput{})
	if d.Error = pages(ctx, p.HasMorePages, p.NextPage, "lambda:ListFunctions", func(out *lambda.ListFunctionsOutput) {
		for _, f := range out.Functions {
			d.Functions = append(d.Functions, snapshot.Function{
				Name:    aws.ToString(f.FunctionName),
				ARN:     aws.ToString(f.FunctionArn),
				Runtime: string(f.Runtime),
				Role:    aws.ToString(f.Role),
				State:   string(f.State),
			})
		}
	}); d.Error != nil {
		return
	}
	sort.Slice(d.Functions, func(i, j int) bool { return d.Functions[i].Name < d.Functions[j].Name })
}
