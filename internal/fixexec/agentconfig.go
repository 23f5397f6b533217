package fixexec

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/lookout-audit/lookout/internal/plan"
)

// mergeAgentConfig adds log files to a CloudWatch Agent configuration in Parameter Store
// (plan.PutParameter). An existing configuration is read, the files whose file_path it does not
// collect yet are appended to its collect_list, and it is written back (Overwrite) with every
// other key and entry untouched; a missing parameter is created holding just those files,
// tagged managed-by=lookout. A SecureString parameter is refused: lookout does not decrypt
// values.
func mergeAgentConfig() op[plan.PutParameter] {
	return op[plan.PutParameter]{
		check: func(p plan.PutParameter) error {
			if p.Name == "" || len(p.AddLogFiles) == 0 {
				return fmt.Errorf("want Name and AddLogFiles")
			}
			return nil
		},
		run: func(ctx context.Context, c *clients, in plan.PutParameter) (string, error) {
			cur, err := c.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(in.Name)})
			if errCode(err) == "ParameterNotFound" {
				value, _, err := MergeAgentConfig("", in.AddLogFiles)
				if err != nil {
					return "", err
				}
				_, err = c.ssm.PutParameter(ctx, &ssm.PutParameterInput{
					Name: aws.String(in.Name), Type: ssmtypes.ParameterTypeString, Value: aws.String(value),
					Description: aws.String("lookout: CloudWatch Agent configuration shipping SSH logs"),
					Tags:        []ssmtypes.Tag{{Key: aws.String(plan.ManagedByKey), Value: aws.String(plan.ManagedByValue)}},
				})
				return "parameter created", err
			}
			if err != nil {
				return "", err
			}
			if cur.Parameter.Type == ssmtypes.ParameterTypeSecureString {
				return "", fmt.Errorf("parameter %s is a SecureString: lookout does not decrypt it; add the files by hand", in.Name)
			}
			value, added, err := MergeAgentConfig(aws.ToString(cur.Parameter.Value), in.AddLogFiles)
			if err != nil {
				return "", fmt.Errorf("parameter %s: %w", in.Name, err)
			}
			if added == 0 {
				return "", errAlreadyThere
			}
			put := &ssm.PutParameterInput{Name: aws.String(in.Name), Value: aws.String(value), Overwrite: aws.Bool(true)}
			if len(value) > 4096 {
				put.Tier = ssmtypes.ParameterTierIntelligentTiering
			}
			if _, err := c.ssm.PutParameter(ctx, put); err != nil {
				return "", err
			}
			return fmt.Sprintf("%d file(s) added; the configuration's other entries kept", added), nil
		},
	}
}

// MergeAgentConfig appends files to a CloudWatch Agent JSON configuration's collect_list,
// skipping file paths already collected, and preserves everything else (unknown keys included:
// the document is handled as generic JSON). config "" starts an empty configuration.
func MergeAgentConfig(config string, files []plan.AgentLogFile) (string, int, error) {
	doc := map[string]any{}
	if config != "" {
		if err := json.Unmarshal([]byte(config), &doc); err != nil {
			return "", 0, fmt.Errorf("the agent configuration is not JSON: %w", err)
		}
	}
	logs, err := object(doc, "logs")
	if err != nil {
		return "", 0, err
	}
	collected, err := object(logs, "logs_collected")
	if err != nil {
		return "", 0, err
	}
	fileSection, err := object(collected, "files")
	if err != nil {
		return "", 0, err
	}
	var list []any
	switch l := fileSection["collect_list"].(type) {
	case nil:
	case []any:
		list = l
	default:
		return "", 0, fmt.Errorf("logs.logs_collected.files.collect_list is %T, not a list", l)
	}
	have := map[string]bool{}
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			if p, ok := m["file_path"].(string); ok {
				have[p] = true
			}
		}
	}
	added := 0
	for _, f := range files {
		if have[f.FilePath] {
			continue
		}
		have[f.FilePath] = true
		entry := map[string]any{"file_path": f.FilePath, "log_group_name": f.LogGroupName}
		if f.LogStreamName != "" {
			entry["log_stream_name"] = f.LogStreamName
		}
		list = append(list, entry)
		added++
	}
	fileSection["collect_list"] = list
	b, err := json.MarshalIndent(doc, "", "  ")
	return string(b), added, err
}

// object returns doc[key] as an object, creating it when absent.
func object(doc map[string]any, key string) (map[string]any, error) {
	switch v := doc[key].(type) {
	case nil:
		m := map[string]any{}
		doc[key] = m
		return m, nil
	case map[string]any:
		return v, nil
	default:
		return nil, fmt.Errorf("%q is %T, not an object", key, v)
	}
}
