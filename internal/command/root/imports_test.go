package root

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The command packages do not import each other: only root wires them together, and what
// they share lives in the helper packages output and scope, or outside internal/command.
// (Their tests may run the whole CLI through root.)
func TestCommandsDoNotImportEachOther(t *testing.T) {
	const prefix = "github.com/lookout-audit/lookout/internal/command/"
	shared := map[string]bool{"output": true, "scope": true}
	dirs, err := os.ReadDir("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if !d.IsDir() || d.Name() == "root" {
			continue
		}
		files, err := filepath.Glob(filepath.Join("..", d.Name(), "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range f.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				other, ok := strings.CutPrefix(path, prefix)
				if ok && other != d.Name() && !shared[other] {
					t.Errorf("%s imports %s: command packages share code through output, scope or a package outside internal/command", file, path)
				}
			}
		}
	}
}
