package filterpattern

import (
	"errors"
	"strings"
	"testing"
)

// docEvent is the JSON log event of the CloudWatch Logs guide's "Using filter patterns to match
// terms in JSON log events" section.
const docEvent = `{
  "eventType": "UpdateTrail",
  "sourceIPAddress": "111.111.111.111",
  "arrayKey": ["value", "another value"],
  "objectList": [
    {"name": "a", "id": 1},
    {"name": "b", "id": 2}
  ],
  "SomeObject": null,
  "cluster.name": "c",
  "ThisFlag": true
}`

// docCompound is the event of the guide's compound-expression examples.
const docCompound = `{
  "user": {"id": 1, "email": "John.Stiles@example.com"},
  "users": [
    {"id": 2, "email": "John.Doe@example.com"},
    {"id": 3, "email": "Jane.Doe@example.com"}
  ],
  "actions": ["GET", "PUT", "DELETE"],
  "coordinates": [[0, 1, 2], [4, 5, 6], [7, 8, 9]]
}`

type matchCase struct {
	name    string
	pattern string
	message string
	want    bool
}

func runMatchCases(t *testing.T, cases []matchCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.pattern)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.pattern, err)
			}
			if got := p.Match(tc.message).Matched; got != tc.want {
				t.Errorf("Parse(%q).Match(%q) = %v, want %v", tc.pattern, tc.message, got, tc.want)
			}
			// The canonical spelling must parse back to a pattern with the same verdict.
			q, err := Parse(p.String())
			if err != nil {
				t.Fatalf("String() = %q does not parse: %v", p.String(), err)
			}
			if got := q.Match(tc.message).Matched; got != tc.want {
				t.Errorf("re-parsed String() %q: Match = %v, want %v", p.String(), got, tc.want)
			}
		})
	}
}

func TestJSONDocExamples(t *testing.T) {
	runMatchCases(t, []matchCase{
		{"string equality", `{ $.eventType = "UpdateTrail" }`, docEvent, true},
		{"unquoted wildcard not equal", `{ $.sourceIPAddress != 123.123.* }`, docEvent, true},
		{"array index", `{ $.arrayKey[0] = "value" }`, docEvent, true},
		{"array index second element", `{ $.arrayKey[1] = "another value" }`, docEvent, true},
		{"object in array numeric", `{ $.objectList[1].id = 2 }`, docEvent, true},
		{"object in array wrong id", `{ $.objectList[0].id = 2 }`, docEvent, false},
		{"IS NULL", `{ $.SomeObject IS NULL }`, docEvent, true},
		{"NOT EXISTS on absent", `{ $.SomeOtherObject NOT EXISTS }`, docEvent, true},
		{"NOT EXISTS on null is false", `{ $.SomeObject NOT EXISTS }`, docEvent, false},
		{"EXISTS on null", `{ $.SomeObject EXISTS }`, docEvent, true},
		{"IS TRUE", `{ $.ThisFlag IS TRUE }`, docEvent, true},
		{"IS FALSE on true", `{ $.ThisFlag IS FALSE }`, docEvent, false},
		{"dotted property name", `{ $.['cluster.name'] = "c" }`, docEvent, true},
		{"dotted property name double quotes", `{ $["cluster.name"] = "c" }`, docEvent, true},
		{"and of both", `{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }`, docCompound, true},
		{"or with false branches", `{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }`, docCompound, false},
		{"precedence && before ||", `{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch" && $.actions[2] = "nomatch" }`, docCompound, true},
		{"parentheses override precedence", `{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch") && $.actions[2] = "nonmatch" }`, docCompound, false},
		{"nested array numeric", `{ $.coordinates[0][1] = 1 }`, docCompound, true},
		{"regex value", `{ $.eventType = %Update.*% }`, docEvent, true},
		{"regex value no match", `{ $.eventType = %^Trail% }`, docEvent, false},
	})
}

func TestJSONSemantics(t *testing.T) {
	ev := `{"a":"Root","n":50,"f":2.5,"s":"50","b":false,"o":{"k":"v"},"e":"","z":null,"arr":[1,2]}`
	runMatchCases(t, []matchCase{
		{"case sensitive", `{ $.a = "root" }`, ev, false},
		{"exact is not substring", `{ $.a = "Roo" }`, ev, false},
		{"prefix wildcard", `{ $.a = "Ro*" }`, ev, true},
		{"suffix wildcard", `{ $.a = "*oot" }`, ev, true},
		{"inner wildcard", `{ $.a = "R*t" }`, ev, true},
		{"star matches any scalar", `{ $.n = * }`, ev, true},
		{"star on absent", `{ $.missing = * }`, ev, false},
		{"escaped star is literal", `{ $.a = "Ro\*" }`, ev, false},
		{"!= absent does not match", `{ $.missing != "x" }`, ev, false},
		{"!= present different", `{ $.a != "IAMUser" }`, ev, true},
		{"!= present same", `{ $.a != "Root" }`, ev, false},
		{"!= on object does not match", `{ $.o != "x" }`, ev, false},
		{"!= on null matches", `{ $.z != "x" }`, ev, true},
		{"= on null", `{ $.z = "null" }`, ev, false},
		{"numeric equal", `{ $.n = 50 }`, ev, true},
		{"numeric equal other spelling", `{ $.n = 50.0 }`, ev, true},
		{"numeric exponent", `{ $.n = 5e1 }`, ev, true},
		{"numeric vs string field", `{ $.s = 50 }`, ev, false},
		{"string vs string field", `{ $.s = "50" }`, ev, true},
		{"string vs number field uses JSON spelling", `{ $.n = "50" }`, ev, true},
		{"greater", `{ $.n > 49 }`, ev, true},
		{"greater equal", `{ $.n >= 50 }`, ev, true},
		{"less", `{ $.f < 2.5 }`, ev, false},
		{"less equal", `{ $.f <= 2.5 }`, ev, true},
		{"negative", `{ $.f > -1 }`, ev, true},
		{"> on string field", `{ $.s > 1 }`, ev, false},
		{"numeric != number", `{ $.n != 51 }`, ev, true},
		{"IS FALSE", `{ $.b IS FALSE }`, ev, true},
		{"IS TRUE on string", `{ $.s IS TRUE }`, ev, false},
		{"IS NULL on absent", `{ $.missing IS NULL }`, ev, false},
		{"EXISTS on object", `{ $.o EXISTS }`, ev, true},
		{"NOT EXISTS through scalar", `{ $.a.b NOT EXISTS }`, ev, true},
		{"empty string", `{ $.e = "" }`, ev, true},
		{"index out of range", `{ $.arr[5] EXISTS }`, ev, false},
		{"index on object", `{ $.o[0] EXISTS }`, ev, false},
		{"keywords any case", `{ $.missing not exists && $.b is false }`, ev, true},
		{"no spaces", `{$.a="Root"&&$.n>1}`, ev, true},
		{"newlines", "{\n  $.a = \"Root\"\n  && $.n = 50\n}", ev, true},
		{"not JSON", `{ $.a = "Root" }`, `Root logged in`, false},
		{"JSON with trailing text", `{ $.a = "Root" }`, `{"a":"Root"} trailing`, false},
		{"JSON array message", `{ $[0] = 1 }`, `[1,2]`, true},
		{"or", `{ $.a = "x" || $.n = 50 }`, ev, true},
		{"deep parentheses", `{ (((($.a = "Root")))) }`, ev, true},
	})
}

func TestTermDocExamples(t *testing.T) {
	msgs := map[string]string{
		"400": "[ERROR 400] BAD REQUEST",
		"401": "[ERROR 401] UNAUTHORIZED REQUEST",
		"419": "[ERROR 419] MISSING ARGUMENTS",
		"420": "[ERROR 420] INVALID ARGUMENTS",
		"500": "[ERROR 500] INTERNAL SERVER ERROR",
		"200": "[SUCCESS 200] AUTHORIZED REQUEST",
		"ec":  "Exiting with ERRORCODE: -1",
	}
	type tc struct {
		pattern string
		matches []string
	}
	for _, c := range []tc{
		{`ERROR`, []string{"400", "401", "419", "420", "500", "ec"}},
		{`ERROR ARGUMENTS`, []string{"419", "420"}},
		{`?ERROR ?ARGUMENTS`, []string{"400", "401", "419", "420", "500", "ec"}},
		{`?SUCCESS ?MISSING`, []string{"419", "200"}},
		{`"INTERNAL SERVER ERROR"`, []string{"500"}},
		{`ERROR -ARGUMENTS`, []string{"400", "401", "500", "ec"}},
		{`ERROR -Exiting`, []string{"400", "401", "419", "420", "500"}},
		{`%AUTHORIZED%`, []string{"401", "200"}},
		{`" "`, []string{"400", "401", "419", "420", "500", "200", "ec"}},
		{``, []string{"400", "401", "419", "420", "500", "200", "ec"}},
		{`error`, nil},
		{`"REQUEST" -"BAD REQUEST"`, []string{"401", "200"}},
	} {
		p, err := Parse(c.pattern)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.pattern, err)
		}
		want := map[string]bool{}
		for _, m := range c.matches {
			want[m] = true
		}
		for k, msg := range msgs {
			if got := p.Match(msg).Matched; got != want[k] {
				t.Errorf("%q on %q: got %v, want %v", c.pattern, msg, got, want[k])
			}
		}
	}
}

func TestDelimited(t *testing.T) {
	line := `127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534`
	runMatchCases(t, []matchCase{
		{"all fields named", `[ip, user, username, timestamp, request, status_code, bytes]`, line, true},
		{"wildcards", `[ip, user, username, timestamp, request = *.html*, status_code = 4*, bytes]`, line, true},
		{"ellipsis and numeric", `[ip, user, ..., status_code=4*, size>1000]`, line, true},
		{"numeric fails", `[ip, user, ..., status_code=4*, size>2000]`, line, false},
		{"too few fields", `[ip, user, username]`, line, false},
		{"or within field", `[..., status_code = 500 || status_code = 404, bytes]`, line, true},
		{"and within field", `[..., status_code >= 400 && status_code < 500, bytes]`, line, true},
		{"not equal", `[ip, ..., status_code != 404, bytes]`, line, false},
		{"leading and trailing ellipsis", `[..., username = frank, ...]`, line, true},
		{"only ellipsis", `[...]`, line, true},
		{"quoted value", `[ip, user, username = "frank", ...]`, line, true},
		{"bracket field value", `[ip, user, username, timestamp = "10/Oct/2000:13:25:15 -0700", ...]`, line, true},
		{"case sensitive", `[ip, user, username = Frank, ...]`, line, false},
		{"middle run", `[..., user = "-", username = frank, ..., bytes]`, line, true},
	})
	p := MustParse(`[ip, user, ..., status_code=4*, size>1000]`)
	r := p.Match(line)
	if r.Fields["$status_code"] != "404" || r.Fields["$size"] != "1534" || r.Fields["$ip"] != "127.0.0.1" {
		t.Errorf("fields = %v", r.Fields)
	}
}

func TestSyntaxErrors(t *testing.T) {
	cases := []struct {
		name, pattern string
		pos           int
		msg           string
	}{
		{"missing operator", `{ $.userIdentity.type "Root" }`, 22, `expected "=", "!=", "<", "<=", ">", ">=", IS, EXISTS or NOT EXISTS after $.userIdentity.type`},
		{"double equals", `{ $.a == "x" }`, 6, `use "=", not "=="`},
		{"unclosed brace", `{ $.a = "x"`, 11, `expected "}"`},
		{"unclosed paren", `{ ($.a = "x" }`, 13, `expected ")" to close the "(" at column 3`},
		{"unterminated string", `{ $.a = "x }`, 8, "unterminated quoted string"},
		{"trailing &&", `{ $.a = "x" && }`, 15, "expected a condition"},
		{"leading &&", `{ && $.a = "x" }`, 2, `expected a condition before "&&"`},
		{"bad keyword", `{ $.a IS MAYBE }`, 9, "expected TRUE, FALSE or NULL"},
		{"NOT without EXISTS", `{ $.a NOT THERE }`, 10, "expected EXISTS after NOT"},
		{"> needs number", `{ $.a > "x" }`, 8, "> needs a number"},
		{"dollar alone", `{ $ = 1 }`, 3, `expected "." or "["`},
		{"empty JSON", `{ }`, 2, "empty JSON pattern"},
		{"text after brace", `{ $.a = 1 } x`, 12, "after the closing"},
		{"unquoted punctuation term", `ERROR: failed`, 5, `must be quoted`},
		{"hyphenated term", `ec2-user`, 3, `must be quoted`},
		{"lone ?", `? ERROR`, 1, "expected a term"},
		{"regex parentheses", `%(a|b)%`, 1, "parentheses are not supported"},
		{"unterminated regex", `%abc`, 0, "unterminated"},
		{"three regexes", `{ $.a = %a% || $.b = %b% || $.c = %c% }`, 34, "at most 2"},
		{"delimited empty", `[]`, 1, "empty field list"},
		{"delimited unclosed", `[a, b`, 5, `expected ","`},
		{"delimited wrong name", `[a, b = 1 || c = 2]`, 13, `can only test "b"`},
		{"delimited duplicate", `[a, a]`, 4, "named twice"},
		{"too deep", "{ " + strings.Repeat("(", 40) + "$.a = 1" + strings.Repeat(")", 40) + " }", 34, "nested more than 32"},
		{"too long", strings.Repeat("a", 2000), 1024, "at most 1024"},
		{"bad index", `{ $.a[x] = 1 }`, 6, "expected an array index"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.pattern)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error = %v, want *SyntaxError", tc.pattern, err)
			}
			if se.Pos != tc.pos || !strings.Contains(se.Msg, tc.msg) {
				t.Errorf("Parse(%q) = pos %d %q, want pos %d containing %q", tc.pattern, se.Pos, se.Msg, tc.pos, tc.msg)
			}
			if !strings.HasPrefix(err.Error(), "filter pattern: at column ") {
				t.Errorf("Error() = %q", err.Error())
			}
		})
	}
}

func TestErrorMessageFormat(t *testing.T) {
	_, err := Parse(`{ $.userIdentity.type "Root" }`)
	want := `filter pattern: at column 23: expected "=", "!=", "<", "<=", ">", ">=", IS, EXISTS or NOT EXISTS after $.userIdentity.type, found "\"Root\""`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant    %s", err, want)
	}
}

func TestFieldsAndMetricValue(t *testing.T) {
	msg := `{"eventName":"ConsoleLogin","bytes":1024,"userIdentity":{"type":"Root"},"note":"x"}`
	p := MustParse(`{ $.eventName = "ConsoleLogin" && $.bytes = * && $.userIdentity.type = "Root" }`)
	r := p.Match(msg)
	if !r.Matched {
		t.Fatal("no match")
	}
	want := map[string]string{"$.eventName": "ConsoleLogin", "$.bytes": "1024", "$.userIdentity.type": "Root"}
	for k, v := range want {
		if r.Fields[k] != v {
			t.Errorf("Fields[%q] = %q, want %q (all: %v)", k, r.Fields[k], v, r.Fields)
		}
	}
	cases := []struct {
		spec    string
		want    float64
		wantErr string
	}{
		{"1", 1, ""},
		{"0", 0, ""},
		{"2.5", 2.5, ""},
		{"$.bytes", 1024, ""},
		{"$.eventName", 0, "not a number"},
		{"$.note", 0, "must name it"},
		{"$.absent", 0, "not extracted"},
		{"one", 0, "neither a number"},
		{"", 0, "empty"},
	}
	for _, c := range cases {
		got, err := MetricValue(c.spec, r, msg)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("MetricValue(%q) error = %v, want containing %q", c.spec, err, c.wantErr)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("MetricValue(%q) = %v, %v; want %v", c.spec, got, err, c.want)
		}
	}
	if _, err := MetricValue("$.bytes", Result{}, msg); err == nil {
		t.Error("MetricValue on an unmatched event: want error")
	}
	d := MustParse(`[ip, user, ..., status_code=4*, size>1000]`)
	line := `10.0.0.1 - frank [t] "GET / HTTP/1.0" 404 1534`
	if v, err := MetricValue("$size", d.Match(line), line); err != nil || v != 1534 {
		t.Errorf("MetricValue($size) = %v, %v", v, err)
	}
}

func TestStringCanonical(t *testing.T) {
	cases := map[string]string{
		`{($.a="x")&&($.b!=1)}`:                      `{ $.a = "x" && $.b != 1 }`,
		`{ $.a = "x" || $.b = 2 && $.c NOT EXISTS }`: `{ $.a = "x" || ($.b = 2 && $.c NOT EXISTS) }`,
		`{ $.x.y[0] is null }`:                       `{ $.x.y[0] IS NULL }`,
		`{ $["a b"] = 123.123.* }`:                   `{ $["a b"] = 123.123.* }`,
		`  ERROR   ?"a b"  -x `:                      `ERROR ?"a b" -x`,
		`[a,b=4*,...,c>1]`:                           `[a, b = 4*, ..., c > 1]`,
	}
	for in, want := range cases {
		if got := MustParse(in).String(); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHostileInputIsBounded(t *testing.T) {
	// A long message with many wildcards and fields must not blow up.
	p := MustParse(`{ $.a = "*a*a*a*a*a*a*a*a*a*b" }`)
	long := `{"a":"` + strings.Repeat("a", 1<<20) + `"}`
	if p.Match(long).Matched {
		t.Error("matched without the final b")
	}
	d := MustParse("[" + strings.TrimSuffix(strings.Repeat("..., x"+"", 1), "") + ", y = zz, ...]")
	line := strings.Repeat("t ", 200000)
	if d.Match(line).Matched {
		t.Error("delimited pattern matched a line without zz")
	}
}
