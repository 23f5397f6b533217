// Package terminal answers what a writer knows about the terminal behind it.
package terminal

import (
	"io"
	"os"

	"golang.org/x/term"
)

// Width is the number of columns of w's terminal, or 0 when w is not a terminal (a pipe, a
// file, a buffer): the caller then picks a width that does not depend on who ran it.
func Width(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0
	}
	if width, _, err := term.GetSize(int(f.Fd())); err == nil && width > 0 {
		return width
	}
	return 0
}
