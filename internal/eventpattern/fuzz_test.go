package eventpattern

import "testing"

var fuzzPatterns = []string{
	`{"source":["aws.signin"],"detail-type":["AWS Console Sign In via CloudTrail"],"detail":{"userIdentity":{"type":["Root"]}}}`,
	`{"detail":{"state":[{"anything-but":{"prefix":"init"}}],"n":[{"numeric":[">",0,"<=",5]}]}}`,
	`{"$or":[{"a":[{"cidr":"10.0.0.0/8"}]},{"b":[{"wildcard":"x*y\\*"}]}],"c":[{"exists":false},null,1,true]}`,
	`{"d":[{"prefix":{"equals-ignore-case":"AB"}},{"suffix":"z"},{"equals-ignore-case":"Q"}]}`,
}

var fuzzEvents = []string{
	`{"source":"aws.signin","detail-type":"AWS Console Sign In via CloudTrail","detail":{"userIdentity":{"type":"Root"}}}`,
	`{"detail":{"state":"running","n":3},"a":"10.1.2.3","b":["xay*"],"c":null,"d":"abz"}`,
	`{"a":[[{"b":1}]],"c":[]}`,
}

// FuzzParse checks that Parse never panics on any input and that a parsed pattern can be
// matched against sample events without error.
func FuzzParse(f *testing.F) {
	for _, p := range fuzzPatterns {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		p, err := Parse(pattern)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		for _, ev := range fuzzEvents {
			if _, err := p.Match([]byte(ev)); err != nil {
				t.Fatalf("Match(%q) on a valid event: %v", ev, err)
			}
		}
	})
}

// FuzzMatch checks that any event, valid or not, can be matched without a panic.
func FuzzMatch(f *testing.F) {
	for _, p := range fuzzPatterns {
		for _, ev := range fuzzEvents {
			f.Add(p, ev)
		}
	}
	f.Fuzz(func(t *testing.T, pattern, event string) {
		p, err := Parse(pattern)
		if err != nil {
			return
		}
		_, _ = p.Match([]byte(event))
	})
}
