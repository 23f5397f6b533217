package report_test

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/internal/route"
	"github.com/lookout-audit/lookout/report"
)

// chromium finds a headless-capable Chromium (Debian's package is "chromium"). Without one the
// test skips, except under CI=true, where scripts/test.sh installs it and its absence fails.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is required under CI=true (apt-get install -y chromium; scripts/test.sh installs it)")
	}
	t.Skip("chromium not installed: the HTML report is not checked in a browser (apt-get install -y chromium)")
	return ""
}

// runChromium runs one headless Chromium command on the page and returns its stdout. Each run
// has its own profile directory, so runs never share state.
func runChromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
		"--disable-extensions", "--disable-background-networking", "--hide-scrollbars",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.Bytes()
}

// The page as a real browser runs it: the DOM after the page's script holds every finding
// (counted per status), the script ran (it writes how many findings are shown), a filter
// given in the URL fragment hides exactly the other findings, and a screenshot renders the
// colours of the matrix.
func TestHTMLInChromium(t *testing.T) {
	bin := chromium(t)
	r := sampleReport()
	// One finding's sentence has its whole reasoning behind it: the page shows it as "why".
	const why = "trail main is not logging; the rule that would restart it is DISABLED; no alarm watches StopLogging"
	r.Findings[0].Detail = why
	// Its path: the rule matches, its target's topic policy refuses EventBridge.
	r.Findings[0].Evidence = &route.RuleEvidence{ChainBreak: route.ChainBreak{Broken: &route.BrokenLink{Link: route.LinkTarget, Hop: route.HopTopicPolicy}}}
	dir := t.TempDir()
	path := filepath.Join(dir, "report.html")
	if err := os.WriteFile(path, writeHTML(t, r), 0o644); err != nil {
		t.Fatal(err)
	}
	url := "file://" + path

	domCounts := func(dom []byte) (all map[string]int, visible map[string]int, shown string) {
		doc, err := html.Parse(bytes.NewReader(dom))
		if err != nil {
			t.Fatal(err)
		}
		all, visible = map[string]int{}, map[string]int{}
		for _, a := range findAll(doc, isFinding) {
			st, _ := attr(a, "data-status")
			all[st]++
			if _, hidden := attr(a, "hidden"); !hidden {
				visible[st]++
			}
		}
		for _, o := range findAll(doc, func(n *html.Node) bool { id, _ := attr(n, "id"); return id == "shown" }) {
			shown = textOf(o)
		}
		return all, visible, shown
	}
	want := map[string]int{"FAIL": r.Summary.Fail, "ERROR": r.Summary.Error, "WAIVED": r.Summary.Waived, "PASS": r.Summary.Pass}
	total := len(r.Findings)

	dom := runChromium(t, bin, "--dump-dom", url)
	all, visible, shown := domCounts(dom)
	doc, err := html.Parse(bytes.NewReader(dom))
	if err != nil {
		t.Fatal(err)
	}
	whys := findAll(doc, func(n *html.Node) bool { c, _ := attr(n, "class"); return n.Data == "details" && c == "why" })
	if len(whys) != 1 || !strings.Contains(textOf(whys[0]), why) {
		t.Errorf("the finding's reasoning: %d <details class=why> in the DOM, want 1 holding %q", len(whys), why)
	}
	// The path hop by hop, the broken hop marked for the style sheet to highlight.
	paths := findAll(doc, func(n *html.Node) bool { c, _ := attr(n, "class"); return n.Data == "ol" && c == "path" })
	if len(paths) != 1 {
		t.Fatalf("%d <ol class=path> in the DOM, want 1", len(paths))
	}
	var hops []string
	for _, li := range findAll(paths[0], func(n *html.Node) bool { return n.Data == "li" }) {
		c, _ := attr(li, "class")
		hops = append(hops, c+": "+strings.TrimSpace(textOf(li)))
	}
	if want := []string{"hop holds: ✓ trail", "hop holds: ✓ EventBridge rule", "hop broken: ✗ rule target (topic policy)"}; !slices.Equal(hops, want) {
		t.Errorf("path hops %q, want %q", hops, want)
	}
	for st, n := range want {
		if all[st] != n || visible[st] != n {
			t.Errorf("%s: %d in the DOM, %d visible; want %d", st, all[st], visible[st], n)
		}
	}
	if wantShown := "8 of 8 findings shown"; total != 8 || shown != wantShown {
		t.Errorf("the page's script did not run: #shown = %q, want %q", shown, wantShown)
	}

	all, visible, shown = domCounts(runChromium(t, bin, "--dump-dom", url+"#status=ERROR&account=999999999999"))
	if all["ERROR"] != r.Summary.Error || visible["ERROR"] != 3 || visible["FAIL"]+visible["PASS"]+visible["WAIVED"] != 0 {
		t.Errorf("filtered by status=ERROR account=999999999999: visible %v (of %v)", visible, all)
	}
	if shown != "3 of 8 findings shown" {
		t.Errorf("filtered: #shown = %q", shown)
	}

	shot := filepath.Join(dir, "report.png")
	runChromium(t, bin, "--screenshot="+shot, "--window-size=1280,1600", url)
	if keep := os.Getenv("LOOKOUT_KEEP_SCREENSHOT"); keep != "" {
		data, _ := os.ReadFile(shot)
		_ = os.WriteFile(keep, data, 0o644)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 1600 {
		t.Errorf("screenshot is %v, want 1280×1600", b)
	}
	// Non-trivial: many colours, and a good area of the FAIL red (#c62828) and PASS green
	// (#2e7d32) of the summary cards and the matrix.
	colours, red, green := map[[3]uint32]bool{}, 0, 0
	near := func(c [3]uint32, r, g, b uint32) bool {
		d := func(x, y uint32) uint32 {
			if x > y {
				return x - y
			}
			return y - x
		}
		return d(c[0], r) < 12 && d(c[1], g) < 12 && d(c[2], b) < 12
	}
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y += 2 {
		for x := bounds.Min.X; x < bounds.Max.X; x += 2 {
			rr, gg, bb, _ := img.At(x, y).RGBA()
			c := [3]uint32{rr >> 8, gg >> 8, bb >> 8}
			colours[c] = true
			if near(c, 0xc6, 0x28, 0x28) {
				red++
			}
			if near(c, 0x2e, 0x7d, 0x32) {
				green++
			}
		}
	}
	if len(colours) < 50 || red < 500 || green < 200 {
		t.Errorf("screenshot looks empty: %d colours, %d red and %d green samples", len(colours), red, green)
	}
}

// A larger report in the browser: every finding is in the DOM.
func TestHTMLManyFindingsInChromium(t *testing.T) {
	bin := chromium(t)
	var fs []checks.Finding
	for i := 0; i < 200; i++ {
		st := []checks.Status{checks.Fail, checks.Pass, checks.Error, checks.Waived}[i%4]
		fs = append(fs, finding("check-"+string(rune('a'+i%7)), checks.High, st, "1111111111"+string(rune('0'+i%3))+"0",
			"us-east-1", "arn:aws:cloudtrail:us-east-1:111111111111:trail/t"+strings.Repeat("x", i%5)+string(rune('a'+i%26)), "message"))
	}
	r := report.New(fs, report.Scope{Regions: []string{"us-east-1"}}, t0)
	path := filepath.Join(t.TempDir(), "big.html")
	if err := os.WriteFile(path, writeHTML(t, r), 0o644); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(runChromium(t, bin, "--dump-dom", "file://"+path)))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(findAll(doc, isFinding)); n != len(r.Findings) {
		t.Errorf("%d findings in the DOM, want %d", n, len(r.Findings))
	}
}
