// Command lookout audits, and fixes, the detection controls of AWS accounts.
// See README.md and `lookout --help`.
package main

import (
	"os"

	"github.com/lookout-audit/lookout/internal/command/root"
)

func main() {
	os.Exit(root.Main(os.Args[1:], os.Stdout, os.Stderr))
}
