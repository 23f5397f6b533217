package report

import (
	"regexp"
	"strings"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
)

// Terminal text: display width (not bytes or runes: a CJK character takes two columns, an
// ANSI colour code none) and word wrapping that never produces a line wider than asked.

var ansiRe = regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]")

// stripANSI removes colour codes.
func stripANSI(s string) string { return ansiRe.ReplaceAllString(s, "") }

// displayWidth is the number of terminal columns s takes, colour codes excluded; it measures
// as the table renderer does, so a pre-wrapped cell is never wrapped again.
func displayWidth(s string) int { return twwidth.Width(s) }

// wrapText wraps s to lines of at most width columns. Paragraphs (separated by "\n") stay
// separate; words are split at spaces, and a word wider than the line (an ARN, a long check
// id) is broken after a '/', ':', '-', ',' or '.' where one fits, else at the last rune that
// fits. Colour codes inside a word that must be broken are dropped.
func wrapText(s string, width int) []string {
	if width < 1 {
		width = 1
	}
	var out []string
	for _, para := range strings.Split(s, "\n") {
		words := strings.Fields(para)
		if len(words) == 0 {
			out = append(out, "")
			continue
		}
		line, lw := "", 0
		flush := func() {
			out = append(out, line)
			line, lw = "", 0
		}
		for _, w := range words {
			ww := displayWidth(w)
			switch {
			case lw == 0 && ww <= width:
				line, lw = w, ww
			case lw > 0 && lw+1+ww <= width:
				line += " " + w
				lw += 1 + ww
			case ww <= width:
				flush()
				line, lw = w, ww
			default:
				// Too long for any line: fill the current line's remainder when that leaves a
				// useful piece, then break the rest into full lines.
				rest := stripANSI(w)
				if lw > 0 {
					if room := width - lw - 1; room >= 8 {
						head, tail := breakWord(rest, room)
						if head != "" {
							line += " " + head
							rest = tail
						}
					}
					flush()
				}
				for displayWidth(rest) > width {
					head, tail := breakWord(rest, width)
					out = append(out, head)
					rest = tail
				}
				line, lw = rest, displayWidth(rest)
			}
		}
		if lw > 0 || line != "" {
			flush()
		}
	}
	return out
}

// breakWord splits w so that head fits width columns, preferring a break after a separator in
// the second half of the allowed width.
func breakWord(w string, width int) (head, tail string) {
	runes := []rune(w)
	fit, cols := 0, 0
	for fit < len(runes) {
		rw := displayWidth(string(runes[fit]))
		if cols+rw > width {
			break
		}
		cols += rw
		fit++
	}
	if fit == 0 {
		fit = 1 // a rune wider than the line: emit it alone rather than loop
	}
	cut := fit
	for i := fit; i > fit/2 && i > 0; i-- {
		if strings.ContainsRune("/:-,.", runes[i-1]) {
			cut = i
			break
		}
	}
	return string(runes[:cut]), string(runes[cut:])
}

// wrapIndent wraps s to width columns and indents every line by indent spaces.
func wrapIndent(s string, width, indent int) []string {
	pad := strings.Repeat(" ", indent)
	lines := wrapText(s, width-indent)
	for i := range lines {
		lines[i] = pad + lines[i]
	}
	return lines
}
