package detection

import (
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/lookout-audit/lookout/internal/eventpattern"
)

// Envelopes with placeholders, decoded once.
//
// StopLogging, RootConsoleSignin and EC2StateChange are built for every trail, account and
// sign-in region of a scan: their envelopes (corpus/eventbridge) are the same text with
// ${ACCOUNT}, ${REGION}, ${TRAIL_NAME} and ${TRAIL_ARN} filled in. Each file is decoded once,
// placeholders and all; an event's decoded form is then the template's with the placeholders
// replaced in its string values (eventpattern.Event.ReplaceStrings), which is what decoding
// the filled-in text gives when:
//
//   - every "${" of the file's text is in a string value once decoded (none in a key, none
//     written with an escape sequence): the placeholders are where the text fills them;
//   - no value holds "${" (one filled-in value could otherwise complete another's
//     placeholder, in whatever order the text was filled in) and every value is valid UTF-8
//     (JSON text would carry U+FFFD for a bad byte).
//
// envTemplateFor checks the first for each file, envelope the second for each event; an event
// that fails either is decoded from its text, as before.
//
// Verdicts. The events of one of these detections differ from one trail, account or region to
// another only in the values at their placeholders' paths (the "variant" paths). A pattern
// none of whose leaf paths (eventpattern.Pattern.LeafPaths) is variant in any of its events
// matches them alike everywhere: it is judged once per detection and pattern, and
// remembered. A rule that names its trail, account or region is judged per detection, as before.

// envTemplate is one corpus envelope, decoded with its placeholders.
type envTemplate struct {
	ev      *eventpattern.Event
	variant map[string]bool // leaf paths whose values hold a placeholder
	ok      bool
}

var envTemplates sync.Map // corpus path -> *envTemplateOnce

type envTemplateOnce struct {
	once sync.Once
	t    *envTemplate
}

func envTemplateFor(path string) *envTemplate {
	e, _ := envTemplates.LoadOrStore(path, &envTemplateOnce{})
	o := e.(*envTemplateOnce)
	o.once.Do(func() {
		raw := file("eventbridge/" + path)
		t := &envTemplate{variant: map[string]bool{}}
		o.t = t
		ev, err := eventpattern.DecodeEvent(raw)
		if err != nil {
			return
		}
		inValues, inKeys := 0, false
		ev.StringLeaves(func(path, value string, kind eventpattern.LeafKind) {
			n := strings.Count(value, "${")
			switch {
			case n == 0:
			case kind == eventpattern.StringLeaf:
				inValues += n
				t.variant[path] = true
			default:
				inKeys = true
			}
		})
		t.ev, t.ok = ev, !inKeys && inValues == strings.Count(string(raw), "${")
	})
	return o.t
}

// envPairs are the replacements that fill a template with vars, or ok false when a value
// does not allow it (see the comment at the top).
func envPairs(vars map[string]string) (pairs []string, ok bool) {
	for k, v := range vars {
		if strings.Contains(v, "${") || !utf8.ValidString(v) {
			return nil, false
		}
		pairs = append(pairs, "${"+k+"}", v)
	}
	return pairs, true
}

// envSet remembers, for one detection built from templates, the verdicts that hold for every
// trail, account and region.
type envSet struct {
	verdicts sync.Map // pattern text -> *envVerdict
}

type envVerdict struct {
	once sync.Once
	v    Verdict
	err  error
}

var envSets sync.Map // detection id -> *envSet

func envSetFor(id string) *envSet {
	e, _ := envSets.LoadOrStore(id, &envSet{})
	return e.(*envSet)
}

// withEnv marks d as built from templates (its event lists are the same for every
// parameter), so that EvaluateEventPattern may remember its invariant verdicts.
func withEnv(d Detection) Detection {
	d.env = envSetFor(d.ID)
	return d
}

// invariant reports whether p reads no variant path of any of d's events; false when an
// event is not stamped from a template.
func (d Detection) invariant(p *eventpattern.Pattern) bool {
	paths := p.LeafPaths()
	ok := true
	d.eachEvent(func(e Event) {
		if !ok {
			return
		}
		if e.memo == nil || e.memo.env == nil {
			ok = false
			return
		}
		for _, path := range paths {
			if e.memo.env.variant[path] {
				ok = false
				return
			}
		}
	})
	return ok
}

func (d Detection) eachEvent(fn func(Event)) {
	for _, e := range d.Positives {
		fn(e)
	}
	for _, g := range d.AnyOf {
		for _, e := range g {
			fn(e)
		}
	}
	for _, e := range d.Negatives {
		fn(e)
	}
}

var parsedPatterns sync.Map // event pattern text -> *parsedPattern

type parsedPattern struct {
	once sync.Once
	p    *eventpattern.Pattern
	err  error
}

// ParseEventPattern is eventpattern.Parse once per process and text (a parsed pattern is only
// ever read, so every caller may share it).
func ParseEventPattern(text string) (*eventpattern.Pattern, error) {
	e, _ := parsedPatterns.LoadOrStore(text, &parsedPattern{})
	pp := e.(*parsedPattern)
	pp.once.Do(func() { pp.p, pp.err = eventpattern.Parse(text) })
	return pp.p, pp.err
}
