// Package version holds lookout's version, written into snapshots and reports so that
// `lookout merge` can refuse to join reports of different builds.
package version

// Version is the released version; builds may override it with
// -ldflags "-X github.com/lookout-audit/lookout/internal/version.Version=...".
var Version = "0.1.0"

// Name is the tool name used in reports.
const Name = "lookout"
