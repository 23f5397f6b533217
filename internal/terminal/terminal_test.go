package terminal_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/lookout-audit/lookout/internal/terminal"
)

func TestWidthOfNonTerminals(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if got := terminal.Width(w); got != 0 {
		t.Errorf("a pipe has width %d, want 0", got)
	}
	if got := terminal.Width(&bytes.Buffer{}); got != 0 {
		t.Errorf("a buffer has width %d, want 0", got)
	}
	f, err := os.Create(t.TempDir() + "/file")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := terminal.Width(f); got != 0 {
		t.Errorf("a file has width %d, want 0", got)
	}
}
