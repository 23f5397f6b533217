package report

import (
	"io"

	"github.com/lookout-audit/lookout/checks"
)

// The Open Cybersecurity Schema Framework's Compliance Finding event class (OCSF schema,
// events/findings/compliance_finding.json, which extends finding and base_event), with the
// cloud profile. Attribute names and enumerations are the schema's.

// OCSF class and schema identifiers.
const (
	OCSFVersion        = "1.6.0"
	OCSFCategoryUID    = 2    // Findings
	OCSFClassUID       = 2003 // Compliance Finding
	OCSFActivityCreate = 1
	OCSFTypeUID        = OCSFClassUID*100 + OCSFActivityCreate
)

// OCSFFinding is one Compliance Finding event.
type OCSFFinding struct {
	ActivityID   int    `json:"activity_id"`
	ActivityName string `json:"activity_name"`
	CategoryUID  int    `json:"category_uid"`
	CategoryName string `json:"category_name"`
	ClassUID     int    `json:"class_uid"`
	ClassName    string `json:"class_name"`
	TypeUID      int    `json:"type_uid"`
	TypeName     string `json:"type_name"`
	SeverityID   int    `json:"severity_id"`
	Severity     string `json:"severity"`
	StatusID     int    `json:"status_id"`
	Status       string `json:"status"`
	// Time is the event time in milliseconds since the epoch (OCSF timestamp_t).
	Time int64 `json:"time"`
	// TimezoneOffset is 0: every time lookout writes is UTC.
	TimezoneOffset int              `json:"timezone_offset"`
	Message        string           `json:"message"`
	Metadata       OCSFMetadata     `json:"metadata"`
	FindingInfo    OCSFFindingInfo  `json:"finding_info"`
	Compliance     OCSFCompliance   `json:"compliance"`
	Cloud          OCSFCloud        `json:"cloud"`
	Resources      []OCSFResource   `json:"resources"`
	Remediation    *OCSFRemediation `json:"remediation,omitempty"`
	Unmapped       map[string]any   `json:"unmapped,omitempty"`
}

// OCSFMetadata is the metadata object: the schema version and the product that wrote the event.
type OCSFMetadata struct {
	Version   string      `json:"version"`
	Product   OCSFProduct `json:"product"`
	Profiles  []string    `json:"profiles"`
	EventCode string      `json:"event_code"`
	UID       string      `json:"uid"`
}

// OCSFProduct is the product object.
type OCSFProduct struct {
	Name       string `json:"name"`
	VendorName string `json:"vendor_name"`
	Version    string `json:"version"`
	UID        string `json:"uid"`
}

// OCSFFindingInfo is the finding_info object; uid is required.
type OCSFFindingInfo struct {
	UID         string       `json:"uid"`
	Title       string       `json:"title"`
	Desc        string       `json:"desc"`
	Types       []string     `json:"types"`
	CreatedTime int64        `json:"created_time"`
	Analytic    OCSFAnalytic `json:"analytic"`
}

// OCSFAnalytic names the check that produced the finding (type_id 1: Rule).
type OCSFAnalytic struct {
	UID    string `json:"uid"`
	Name   string `json:"name"`
	TypeID int    `json:"type_id"`
	Type   string `json:"type"`
}

// OCSFCompliance is the compliance object: the control (the check id), the standards and
// requirements it maps to, the compliance status, and since OCSF 1.5 the checks evaluated.
type OCSFCompliance struct {
	Control       string      `json:"control"`
	Standards     []string    `json:"standards"`
	Requirements  []string    `json:"requirements,omitempty"`
	Checks        []OCSFCheck `json:"checks"`
	StatusID      int         `json:"status_id"`
	Status        string      `json:"status"`
	StatusCode    string      `json:"status_code"`
	StatusDetails []string    `json:"status_details"`
}

// OCSFCheck is the check object: the lookout check that was evaluated, its own severity (a
// PASS keeps it: it is the control's, not the finding's) and its result.
type OCSFCheck struct {
	UID        string   `json:"uid"`
	Name       string   `json:"name"`
	SeverityID int      `json:"severity_id"`
	Severity   string   `json:"severity"`
	Standards  []string `json:"standards"`
	StatusID   int      `json:"status_id"`
	Status     string   `json:"status"`
}

// OCSFCloud is the cloud profile's object: provider is required.
type OCSFCloud struct {
	Provider string      `json:"provider"`
	Region   string      `json:"region"`
	Account  OCSFAccount `json:"account"`
}

// OCSFAccount is the account object (type_id 10: AWS Account).
type OCSFAccount struct {
	UID    string `json:"uid"`
	TypeID int    `json:"type_id"`
	Type   string `json:"type"`
}

// OCSFResource is a resource_details object; its role is Target (role_id 1), the subject of
// the check.
type OCSFResource struct {
	UID            string `json:"uid"`
	Name           string `json:"name"`
	Type           string `json:"type"`
	RoleID         int    `json:"role_id"`
	Role           string `json:"role"`
	Region         string `json:"region,omitempty"`
	CloudPartition string `json:"cloud_partition"`
}

// OCSFRemediation is the remediation object.
type OCSFRemediation struct {
	Desc          string          `json:"desc"`
	KBArticleList []OCSFKBArticle `json:"kb_article_list,omitempty"`
}

// OCSFKBArticle points at the check's documentation.
type OCSFKBArticle struct {
	Title  string `json:"title"`
	SrcURL string `json:"src_url"`
}

// ocsfSeverity maps a finding to severity_id and its caption: a PASS is Informational (as in
// ASFF), otherwise the check's severity.
func ocsfSeverity(f checks.Finding) (int, string) {
	if f.Status == checks.Pass {
		return 1, "Informational"
	}
	return ocsfCheckSeverity(f.Severity)
}

// ocsfCheckSeverity is a check's severity as severity_id and caption (Low 2, Medium 3, High 4,
// Critical 5).
func ocsfCheckSeverity(s checks.Severity) (int, string) {
	switch s {
	case checks.Critical:
		return 5, "Critical"
	case checks.High:
		return 4, "High"
	case checks.Medium:
		return 3, "Medium"
	case checks.Low:
		return 2, "Low"
	}
	return 0, "Unknown"
}

// ocsfStatus maps a lookout status to the finding's workflow status_id (New 1, Suppressed 3,
// Resolved 4) and to the compliance object's status_id (Pass 1, Warning 2, Fail 3):
//
//	PASS   → Resolved, Pass
//	FAIL   → New, Fail
//	ERROR  → New, Warning ("did not yield a result due to missing information")
//	WAIVED → Suppressed, Fail (the control fails; the risk was accepted)
func ocsfStatus(s checks.Status) (findingID int, finding string, complianceID int, compliance string) {
	switch s {
	case checks.Pass:
		return 4, "Resolved", 1, "Pass"
	case checks.Fail:
		return 1, "New", 3, "Fail"
	case checks.Waived:
		return 3, "Suppressed", 3, "Fail"
	}
	return 1, "New", 2, "Warning"
}

// OCSF converts every finding to a Compliance Finding event, in report order.
func OCSF(r *Report) []OCSFFinding {
	home := HomeRegion(r.Scope)
	out := make([]OCSFFinding, 0, len(r.Findings))
	for i := range r.Findings {
		out = append(out, ocsfFinding(r, r.Findings[i], home))
	}
	return out
}

// ocsfFinding is one finding of r as a Compliance Finding event; home is HomeRegion(r.Scope).
func ocsfFinding(r *Report, f checks.Finding, home string) OCSFFinding {
	at := r.GeneratedAt.UnixMilli()
	{
		sevID, sev := ocsfSeverity(f)
		stID, st, compID, comp := ocsfStatus(f.Status)
		region, part := placeOf(f, home)
		uid := ASFFId(f)
		c := OCSFCompliance{Control: f.CheckID, StatusID: compID, Status: comp, StatusCode: string(f.Status), StatusDetails: []string{f.Message}}
		for _, k := range frameworkKeys(f.Frameworks) {
			c.Standards = append(c.Standards, FrameworkName(k))
			c.Requirements = append(c.Requirements, FrameworkName(k)+"/"+f.Frameworks[k])
		}
		if len(c.Standards) == 0 {
			c.Standards = []string{"lookout detection controls"}
		}
		checkSevID, checkSev := ocsfCheckSeverity(f.Severity)
		c.Checks = []OCSFCheck{{UID: f.CheckID, Name: titleOf(f), SeverityID: checkSevID, Severity: checkSev,
			Standards: c.Standards, StatusID: compID, Status: comp}}
		ev := OCSFFinding{
			ActivityID: OCSFActivityCreate, ActivityName: "Create",
			CategoryUID: OCSFCategoryUID, CategoryName: "Findings",
			ClassUID: OCSFClassUID, ClassName: "Compliance Finding",
			TypeUID: OCSFTypeUID, TypeName: "Compliance Finding: Create",
			SeverityID: sevID, Severity: sev,
			StatusID: stID, Status: st,
			Time:    at,
			Message: f.Message,

			Metadata: OCSFMetadata{
				Version:   OCSFVersion,
				Product:   OCSFProduct{Name: r.Tool.Name, VendorName: r.Tool.Name, Version: r.Tool.Version, UID: r.Tool.Name},
				Profiles:  []string{"cloud"},
				EventCode: f.CheckID,
				UID:       uid,
			},
			FindingInfo: OCSFFindingInfo{
				UID: uid, Title: titleOf(f), Desc: f.Reasoning(), Types: asffTypes(f), CreatedTime: at,
				Analytic: OCSFAnalytic{UID: f.CheckID, Name: f.CheckID, TypeID: 1, Type: "Rule"},
			},
			Compliance: c,
			Cloud:      OCSFCloud{Provider: "AWS", Region: region, Account: OCSFAccount{UID: f.Account, TypeID: 10, Type: "AWS Account"}},
			Resources: []OCSFResource{{
				UID: asffResourceID(f, part), Name: resourceName(f.Resource), Type: asffResourceType(f),
				RoleID: 1, Role: "Target", Region: region, CloudPartition: part,
			}},
		}
		if desc := fixText(f); desc != "" {
			ev.Remediation = &OCSFRemediation{Desc: desc, KBArticleList: []OCSFKBArticle{{Title: f.CheckID, SrcURL: HelpURIBase + f.CheckID}}}
		}
		unmapped := map[string]any{}
		if f.Evidence != nil {
			unmapped["evidence"] = f.Evidence
		}
		if f.Waiver != nil {
			unmapped["waiver"] = f.Waiver
		}
		if f.Region != region {
			unmapped["lookout_region"] = f.Region
		}
		if len(unmapped) > 0 {
			ev.Unmapped = unmapped
		}
		return ev
	}
}

// WriteOCSF writes the findings as a JSON array of OCSF Compliance Finding events (class_uid
// 2003), one per finding; `jq -c '.[]'` turns it into one event per line.
func WriteOCSF(w io.Writer, r *Report) error {
	home := HomeRegion(r.Scope)
	return writeJSONArray(w, len(r.Findings), func(i int) any { return ocsfFinding(r, r.Findings[i], home) })
}
