package fixexec

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/lookout-audit/lookout/internal/plan"
)

// mergeAgentConfig adds log files and journald entries to a CloudWatch Agent configuration in
// Parameter Store (plan.PutParameter). An existing configuration is read, the files whose
// file_path it does not collect yet and the journald entries it does not hold yet are
// appended to their collect_lists, and it is written back (Overwrite) with every other key and
// entry untouched; a missing parameter is created holding just those, tagged
// managed-by=lookout. A SecureString parameter is refused: lookout does not decrypt
// values.
func mergeAgentConfig() op[plan.PutParameter] {
	return op[plan.PutParameter]{
		check: func(p plan.PutParameter) error {
			if p.Name == "" || len(p.AddLogFiles)+len(p.AddJournal) == 0 {
				return fmt.Errorf("want Name and AddLogFiles or AddJournal")
			}
			return nil
		},
		run: func(ctx context.Context, c *clients, in plan.PutParameter) (string, error) {
			cur, err := c.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(in.Name)})
			if errCode(err) == "ParameterNotFound" {
				value, _, err := MergeAgentConfig("", in.AddLogFiles, in.AddJournal)
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
			value, added, err := MergeAgentConfig(aws.ToString(cur.Parameter.Value), in.AddLogFiles, in.AddJournal)
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
			return fmt.Sprintf("%d entr(ies) added; the configuration's other entries kept", added), nil
		},
	}
}

// MergeAgentConfig appends files to a CloudWatch Agent JSON configuration's files collect_list,
// skipping file paths already collected, and journald entries to its journald collect_list,
// skipping one whose log group and units an entry already has; it preserves everything else
// (unknown keys included: the document is handled as generic JSON). config "" starts an empty
// configuration. It returns how many entries it added.
func MergeAgentConfig(config string, files []plan.AgentLogFile, journal []plan.AgentJournalEntry) (string, int, error) {
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
	added := 0
	if len(files) > 0 {
		n, err := appendEntries(collected, "files", func(m map[string]any) string { p, _ := m["file_path"].(string); return p },
			len(files), func(i int) (string, map[string]any) {
				f := files[i]
				entry := map[string]any{"file_path": f.FilePath, "log_group_name": f.LogGroupName}
				if f.LogStreamName != "" {
					entry["log_stream_name"] = f.LogStreamName
				}
				return f.FilePath, entry
			})
		if err != nil {
			return "", 0, err
		}
		added += n
	}
	if len(journal) > 0 {
		journalKey := func(group string, units []string) string { return group + "\x00" + strings.Join(units, "\x00") }
		n, err := appendEntries(collected, "journald", func(m map[string]any) string {
			group, _ := m["log_group_name"].(string)
			var units []string
			if list, ok := m["units"].([]any); ok {
				for _, u := range list {
					if s, ok := u.(string); ok {
						units = append(units, s)
					}
				}
			}
			return journalKey(group, units)
		}, len(journal), func(i int) (string, map[string]any) {
			e := journal[i]
			units := make([]any, len(e.Units))
			for j, u := range e.Units {
				units[j] = u
			}
			entry := map[string]any{"log_group_name": e.LogGroupName, "units": units}
			if e.LogStreamName != "" {
				entry["log_stream_name"] = e.LogStreamName
			}
			return journalKey(e.LogGroupName, e.Units), entry
		})
		if err != nil {
			return "", 0, err
		}
		added += n
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	return string(b), added, err
}

// appendEntries appends n entries to logs_collected.<section>.collect_list, skipping those
// whose key an entry already there (or added before) has.
func appendEntries(collected map[string]any, section string, keyOf func(map[string]any) string, n int, entry func(int) (string, map[string]any)) (int, error) {
	sec, err := object(collected, section)
	if err != nil {
		return 0, err
	}
	var list []any
	switch l := sec["collect_list"].(type) {
	case nil:
	case []any:
		list = l
	default:
		return 0, fmt.Errorf("logs.logs_collected.%s.collect_list is %T, not a list", section, l)
	}
	have := map[string]bool{}
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			have[keyOf(m)] = true
		}
	}
	added := 0
	for i := range n {
		key, e := entry(i)
		if have[key] {
			continue
		}
		have[key] = true
		list = append(list, e)
		added++
	}
	sec["collect_list"] = list
	return added, nil
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
