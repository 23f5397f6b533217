package agentconfig

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/lookout-audit/lookout/internal/snapshot"
)

// ManageAgentDocument is the SSM document that installs a configuration into the agent.
const ManageAgentDocument = "AmazonCloudWatch-ManageAgent"

// The document's parameters and the defaults it applies when one is omitted.
const (
	ParamAction         = "action"                        // default "configure"
	ParamConfigSource   = "optionalConfigurationSource"   // default "ssm"
	ParamConfigLocation = "optionalConfigurationLocation" // the Parameter Store name
	ParamMode           = "mode"
	ParamRestart        = "optionalRestart"
)

// KeptParameters are the ManageAgent parameters a snapshot keeps: all of them say how the
// agent is driven and none carries a secret. Other parameters are dropped.
var KeptParameters = []string{ParamAction, ParamConfigSource, ParamConfigLocation, ParamMode, ParamRestart}

// Source is one ManageAgent run that put a configuration into an instance's agent.
type Source struct {
	Kind      string // "association" or "command"
	ID        string // association id or command id
	Name      string // association name, if any
	Action    string // configure | configure (append) | configure (remove) | start | stop | status
	Config    string // optionalConfigurationSource: ssm | default
	Parameter string // optionalConfigurationLocation when Config is ssm
	Status    string // association overview status or invocation status
	At        *time.Time
}

// Describe names the source for messages.
func (s Source) Describe() string {
	if s.Kind == "association" {
		if s.Name != "" {
			return fmt.Sprintf("association %s (%s)", s.Name, s.ID)
		}
		return "association " + s.ID
	}
	return "command " + s.ID
}

// Resolution is what configures one instance's agent.
type Resolution struct {
	// Sources are the configurations in effect, in the order the agent received them (an
	// "append" adds to the one before). Empty when nothing configures the instance.
	Sources []Source
	// ByAssociation is true when a State Manager association is among the configurations in
	// effect (it re-applies on schedule, so a later command only wins until its next run).
	ByAssociation bool
	// Failed is the most recent failed ManageAgent command run after the last successful one
	// (or with none successful at all).
	Failed *Source
	// Stopped is set when the last effective action stopped the agent.
	Stopped *Source
	// Unresolved says why lookout cannot tell whether an association targets the instance
	// (its tags were not read, or a target type lookout does not resolve); the verdict is then
	// unknown, not negative.
	Unresolved string
}

// Resolve decides which ManageAgent associations and commands configure instance mi. The
// agent keeps the configuration it was given last: every association of the document whose
// targets select it (by instance id, "*", tag or tag key), at the time it last ran, and every
// successful ManageAgent command on it, at the time it was requested, are applied in time
// order — a later "configure" replaces what came before, whichever kind it came from, and a
// "configure (append)" adds to it (CloudWatch agent user guide, "Use multiple CloudWatch agent
// configuration files").
func Resolve(ssm *snapshot.SSMData, mi *snapshot.ManagedInstance) Resolution {
	var res Resolution
	var runs []Source
	for _, a := range ssm.Associations {
		if a.Name != ManageAgentDocument {
			continue
		}
		hit, why := targets(a.Targets, mi, ssm.ResourceGroups)
		if why != "" {
			res.Unresolved = fmt.Sprintf("association %s: %s", a.AssociationID, why)
			return res
		}
		if hit {
			src := sourceOf("association", a.AssociationID, a.Parameters, a.Status, a.LastRun)
			src.Name = a.AssociationName
			runs = append(runs, src)
		}
	}
	for _, c := range ssm.Commands {
		if c.InstanceID == mi.InstanceID && c.DocumentName == ManageAgentDocument {
			runs = append(runs, sourceOf("command", c.CommandID, c.Parameters, c.Status, c.RequestedAt))
		}
	}
	sortByTime(runs)
	// Runs that did not succeed left the agent as it was; the latest failure after the last
	// success is reported.
	applied := runs[:0:0]
	for _, r := range runs {
		switch r.Status {
		case "Failed", "TimedOut", "Cancelled", "Undeliverable", "Terminated", "DeliveryTimedOut", "ExecutionTimedOut":
			f := r
			res.Failed = &f
		case "InProgress", "Delayed":
			// not finished: neither applied nor failed yet
		case "Pending":
			if r.Kind == "command" {
				continue
			}
			// An association's overview status is Pending until it first runs; it is counted,
			// as State Manager applies it on its next run.
			applied = append(applied, r)
		default:
			applied = append(applied, r)
			res.Failed = nil
		}
	}
	res.fold(applied)
	for _, src := range res.Sources {
		if src.Kind == "association" {
			res.ByAssociation = true
		}
	}
	return res
}

// fold applies the runs in order, as the agent would.
func (res *Resolution) fold(runs []Source) {
	for _, s := range runs {
		switch s.Action {
		case "configure":
			res.Sources = []Source{s}
		case "configure (append)":
			res.Sources = append(res.Sources, s)
		case "configure (remove)":
			kept := res.Sources[:0:0]
			for _, prev := range res.Sources {
				if prev.Parameter != s.Parameter {
					kept = append(kept, prev)
				}
			}
			res.Sources = kept
		case "stop":
			st := s
			res.Stopped = &st
		case "start":
			res.Stopped = nil
		}
		if strings.HasPrefix(s.Action, "configure") {
			// configure (re)starts the agent (optionalRestart defaults to yes)
			res.Stopped = nil
		}
	}
}

func sourceOf(kind, id string, params map[string][]string, status string, at *time.Time) Source {
	first := func(k, def string) string {
		if v := params[k]; len(v) > 0 && strings.TrimSpace(v[0]) != "" {
			return strings.TrimSpace(v[0])
		}
		return def
	}
	return Source{
		Kind:      kind,
		ID:        id,
		Action:    first(ParamAction, "configure"),
		Config:    first(ParamConfigSource, "ssm"),
		Parameter: first(ParamConfigLocation, ""),
		Status:    status,
		At:        at,
	}
}

func sortByTime(s []Source) {
	sort.SliceStable(s, func(i, j int) bool {
		a, b := s[i].At, s[j].At
		switch {
		case a == nil:
			return b != nil
		case b == nil:
			return false
		}
		return a.Before(*b)
	})
}

// targets reports whether State Manager targets select mi; why is set when that cannot be
// told from the snapshot. A resource group target (resource-groups:Name) is resolved as State
// Manager resolves it: a tag-based group's query against mi's tags, a CloudFormation-stack
// group by its members; resource-groups:ResourceTypeFilters, if given, further narrows it to
// those resource types.
func targets(ts []snapshot.AssociationTarget, mi *snapshot.ManagedInstance, groups []snapshot.ResourceGroup) (hit bool, why string) {
	var typeFilter []string
	for _, t := range ts {
		if t.Key == "resource-groups:ResourceTypeFilters" {
			typeFilter = t.Values
		}
	}
	for _, t := range ts {
		switch {
		case t.Key == "InstanceIds":
			for _, v := range t.Values {
				if v == "*" || v == mi.InstanceID {
					return true, ""
				}
			}
		case t.Key == "tag-key" || strings.HasPrefix(t.Key, "tag:"):
			if mi.Tags == nil && mi.TagsError != nil {
				return false, fmt.Sprintf("targets %s but the tags of %s could not be read: %s", t.Key, mi.InstanceID, mi.TagsError.Error())
			}
			for _, v := range t.Values {
				if t.Key == "tag-key" {
					if _, ok := mi.Tags[v]; ok {
						return true, ""
					}
				} else if val, ok := mi.Tags[strings.TrimPrefix(t.Key, "tag:")]; ok && val == v {
					return true, ""
				}
			}
		case t.Key == "resource-groups:Name":
			if len(typeFilter) > 0 && !typeMatches(typeFilter, resourceType(mi)) {
				continue
			}
			for _, name := range t.Values {
				hit, why := inGroup(name, mi, groups)
				if hit || why != "" {
					return hit, why
				}
			}
		case strings.HasPrefix(t.Key, "resource-groups:"):
			// ResourceTypeFilters, read above; any other key is not one State Manager documents.
			if t.Key != "resource-groups:ResourceTypeFilters" {
				return false, fmt.Sprintf("targets %s, which lookout does not resolve", t.Key)
			}
		}
	}
	return false, ""
}

// resourceType is mi's type as resource groups name it.
func resourceType(mi *snapshot.ManagedInstance) string {
	if mi.ResourceType == "ManagedInstance" || strings.HasPrefix(mi.InstanceID, "mi-") {
		return "AWS::SSM::ManagedInstance"
	}
	return "AWS::EC2::Instance"
}

// typeMatches reports whether a resource type filter admits typ.
func typeMatches(filter []string, typ string) bool {
	for _, f := range filter {
		if f == typ || f == "AWS::AllSupported" {
			return true
		}
	}
	return false
}

// tagQuery is a TAG_FILTERS_1_0 resource query (Resource Groups API reference, ResourceQuery):
// a resource is in the group when its type is one of ResourceTypeFilters and it has every
// TagFilter's key with one of that filter's values (any value when none is listed).
type tagQuery struct {
	ResourceTypeFilters []string `json:"ResourceTypeFilters"`
	TagFilters          []struct {
		Key    string   `json:"Key"`
		Values []string `json:"Values"`
	} `json:"TagFilters"`
}

// inGroup reports whether mi is a member of the resource group name; why is set when that
// cannot be told.
func inGroup(name string, mi *snapshot.ManagedInstance, groups []snapshot.ResourceGroup) (bool, string) {
	var g *snapshot.ResourceGroup
	for i := range groups {
		if groups[i].Name == name {
			g = &groups[i]
		}
	}
	switch {
	case g == nil:
		return false, fmt.Sprintf("targets resource group %s, which was not collected", name)
	case g.Error != nil:
		return false, fmt.Sprintf("targets resource group %s, which could not be read: %s", name, g.Error.Error())
	case g.NotFound:
		return false, "" // a group that does not exist holds nothing
	}
	switch g.QueryType {
	case "TAG_FILTERS_1_0":
		var q tagQuery
		if err := json.Unmarshal([]byte(g.Query), &q); err != nil {
			return false, fmt.Sprintf("targets resource group %s, whose tag query lookout cannot read: %v", name, err)
		}
		if len(q.ResourceTypeFilters) > 0 && !typeMatches(q.ResourceTypeFilters, resourceType(mi)) {
			return false, ""
		}
		if len(q.TagFilters) == 0 {
			return false, fmt.Sprintf("targets resource group %s, whose tag query has no tag filter", name)
		}
		if mi.Tags == nil && mi.TagsError != nil {
			return false, fmt.Sprintf("targets resource group %s, a tag query, but the tags of %s could not be read: %s", name, mi.InstanceID, mi.TagsError.Error())
		}
		for _, f := range q.TagFilters {
			v, ok := mi.Tags[f.Key]
			if !ok || (len(f.Values) > 0 && !slices.Contains(f.Values, v)) {
				return false, ""
			}
		}
		return true, ""
	case "CLOUDFORMATION_STACK_1_0":
		if !g.MembersRead {
			return false, fmt.Sprintf("targets resource group %s, a CloudFormation stack group whose members were not read", name)
		}
		for _, m := range g.Members {
			if strings.HasSuffix(m, ":instance/"+mi.InstanceID) || strings.HasSuffix(m, ":managed-instance/"+mi.InstanceID) {
				return true, ""
			}
		}
		return false, ""
	}
	return false, fmt.Sprintf("targets resource group %s, whose query type %s lookout does not resolve", name, orNone(g.QueryType))
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
