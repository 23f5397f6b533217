package report_test

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/lookout-audit/lookout/checks"
	"github.com/lookout-audit/lookout/report"
)

func writeHTML(t *testing.T, r *report.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := report.WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// voidElements have no end tag (HTML Living Standard, "void elements").
var voidElements = map[string]bool{"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true,
	"img": true, "input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true}

// checkWellFormed tokenizes the page and requires every element the page opens to be closed
// in order: the browser's error recovery must never be what makes it readable.
func checkWellFormed(t *testing.T, page []byte) {
	t.Helper()
	z := html.NewTokenizer(bytes.NewReader(page))
	var stack []string
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if z.Err() != io.EOF {
				t.Fatalf("tokenizer: %v", z.Err())
			}
			if len(stack) > 0 {
				t.Errorf("elements never closed: %v", stack)
			}
			return
		case html.StartTagToken:
			name, _ := z.TagName()
			if !voidElements[string(name)] {
				stack = append(stack, string(name))
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if len(stack) == 0 || stack[len(stack)-1] != string(name) {
				t.Fatalf("</%s> closes %v", name, stack)
			}
			stack = stack[:len(stack)-1]
		}
	}
}

var remoteRef = regexp.MustCompile(`(?i)^\s*(https?:|//|ftp:|data:text/html)`)
var remoteCSS = regexp.MustCompile(`(?i)@import|url\(\s*['"]?\s*(https?:|//)`)

// checkSelfContained walks the parsed page: no attribute may point anywhere (src, href,
// srcset, action, poster, data...), no style may import or fetch, and scripts are inline.
func checkSelfContained(t *testing.T, doc *html.Node) {
	t.Helper()
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				switch a.Key {
				case "src", "href", "srcset", "action", "formaction", "poster", "data", "background", "cite", "manifest", "xlink:href":
					if remoteRef.MatchString(a.Val) || a.Key == "src" || a.Key == "srcset" {
						t.Errorf("<%s %s=%q> refers outside the page", n.Data, a.Key, a.Val)
					}
				case "style":
					if remoteCSS.MatchString(a.Val) {
						t.Errorf("<%s style=%q> fetches", n.Data, a.Val)
					}
				}
			}
			if n.DataAtom == atom.Link {
				t.Errorf("<link> element: %v", n.Attr)
			}
			if n.DataAtom == atom.Style && n.FirstChild != nil && remoteCSS.MatchString(n.FirstChild.Data) {
				t.Error("<style> imports or fetches")
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// findAll returns the elements for which match is true, in document order.
func findAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func isFinding(n *html.Node) bool {
	c, _ := attr(n, "class")
	return n.DataAtom == atom.Article && strings.Contains(" "+c+" ", " finding ")
}

// checkFindings requires one article per finding, carrying its status, check, account and
// region, with its message, resource and fix as text.
func checkFindings(t *testing.T, doc *html.Node, r *report.Report) {
	t.Helper()
	arts := findAll(doc, isFinding)
	if len(arts) != len(r.Findings) {
		t.Fatalf("%d finding articles for %d findings", len(arts), len(r.Findings))
	}
	type key struct{ status, check, account, region string }
	byKey := map[key][]string{}
	for _, a := range arts {
		st, _ := attr(a, "data-status")
		c, _ := attr(a, "data-check")
		acct, _ := attr(a, "data-account")
		reg, _ := attr(a, "data-region")
		k := key{st, c, acct, reg}
		byKey[k] = append(byKey[k], textOf(a))
	}
	for _, f := range r.Findings {
		texts := byKey[key{string(f.Status), f.CheckID, f.Account, f.Region}]
		found := false
		for _, txt := range texts {
			if strings.Contains(txt, f.Message) && strings.Contains(txt, f.Resource) &&
				(f.Fix == nil || strings.Contains(txt, f.Fix.Summary)) {
				found = true
			}
		}
		if !found {
			t.Errorf("finding %s %s %s %s (%q) is not in the page", f.Status, f.CheckID, f.Account, f.Region, f.Message)
		}
	}
}

// The page is well-formed, refers to nothing outside itself, holds every finding with its
// details and the matrix, and renders hostile text as text.
func TestHTMLParses(t *testing.T) {
	r := sampleReport()
	page := writeHTML(t, r)
	checkWellFormed(t, page)
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	checkSelfContained(t, doc)
	checkFindings(t, doc, r)

	scripts := findAll(doc, func(n *html.Node) bool { return n.DataAtom == atom.Script })
	if len(scripts) != 1 {
		t.Errorf("%d <script> elements, want only lookout's own (a message injected one?)", len(scripts))
	}
	if !strings.Contains(string(page), "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the hostile message is not escaped as text")
	}
	// The matrix: one row per check, one column per account, coloured cells carry a status.
	cells := findAll(doc, func(n *html.Node) bool {
		_, ok := attr(n, "data-account")
		return n.DataAtom == atom.Td && ok
	})
	checksSeen, accounts := map[string]bool{}, map[string]bool{}
	for _, f := range r.Findings {
		checksSeen[f.CheckID] = true
		accounts[f.Account] = true
	}
	rows := findAll(doc, func(n *html.Node) bool {
		return n.DataAtom == atom.Tr && n.Parent != nil && n.Parent.DataAtom == atom.Tbody
	})
	if len(rows) != len(checksSeen) {
		t.Errorf("matrix has %d rows for %d checks", len(rows), len(checksSeen))
	}
	worst := map[[2]string]string{}
	rank := map[string]int{"FAIL": 4, "ERROR": 3, "WAIVED": 2, "PASS": 1}
	for _, f := range r.Findings {
		k := [2]string{f.CheckID, f.Account}
		if rank[string(f.Status)] > rank[worst[k]] {
			worst[k] = string(f.Status)
		}
	}
	if len(cells) != len(worst) {
		t.Errorf("%d coloured cells for %d (check, account) pairs", len(cells), len(worst))
	}
	for _, c := range cells {
		check, _ := attr(c, "data-check")
		acct, _ := attr(c, "data-account")
		class, _ := attr(c, "class")
		if class != worst[[2]string{check, acct}] {
			t.Errorf("cell %s × %s is %s, want %s", check, acct, class, worst[[2]string{check, acct}])
		}
	}
	// The unreadable account is said once, with its remedy.
	if n := strings.Count(string(page), "class=\"notice account-failure\""); n != 1 {
		t.Errorf("%d account-failure notices, want 1", n)
	}
}

// An empty report is still a valid page.
func TestHTMLEmpty(t *testing.T) {
	r := report.New([]checks.Finding{}, report.Scope{}, t0)
	page := writeHTML(t, r)
	checkWellFormed(t, page)
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	checkSelfContained(t, doc)
	checkFindings(t, doc, r)
}
