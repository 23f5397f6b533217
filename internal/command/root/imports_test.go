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

// shared are the helper packages of internal/command; every other package there but root is
// one command.
var shared = map[string]bool{"output": true, "scope": true}

// The command packages do not import each other: only root wires them together, and what
// they share lives in the helper packages output and scope, or outside internal/command.
// (Their tests may run the whole CLI through root.)
func TestCommandsDoNotImportEachOther(t *testing.T) {
	const prefix = "github.com/lookout-audit/lookout/internal/command/"
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

// A command's package is named after its command with "cmd" (scancmd implements `lookout
// scan`), and its directory has that name: the package never shadows the one it drives
// (checks, collect, the pattern engines), and a reader of root sees which names are commands.
func TestCommandPackagesAreNamedCmd(t *testing.T) {
	dirs, err := os.ReadDir("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if !d.IsDir() || d.Name() == "root" || shared[d.Name()] {
			continue
		}
		if !strings.HasSuffix(d.Name(), "cmd") {
			t.Errorf("internal/command/%s: a command package is named after its command with cmd (like scancmd), or is a helper listed in shared", d.Name())
		}
		files, err := filepath.Glob(filepath.Join("..", d.Name(), "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range files {
			f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.PackageClauseOnly)
			if err != nil {
				t.Fatal(err)
			}
			if name := strings.TrimSuffix(f.Name.Name, "_test"); name != d.Name() {
				t.Errorf("%s: package %s, want %s (its directory's name)", file, f.Name.Name, d.Name())
			}
		}
	}
}
