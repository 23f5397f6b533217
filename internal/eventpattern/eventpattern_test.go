package eventpattern

import (
	"strings"
	"testing"
)

// ec2Event is the EC2 state-change event of the EventBridge user guide's event pattern pages.
const ec2Event = `{
  "version": "0",
  "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "EC2 Instance State-change Notification",
  "source": "aws.ec2",
  "account": "111122223333",
  "time": "2017-12-22T18:43:48Z",
  "region": "us-west-1",
  "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
  "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"}
}`

// filterEvent carries the detail fields the "Content filtering" page's examples test.
const filterEvent = `{
  "version": "0", "id": "1", "detail-type": "Example", "source": "com.example",
  "account": "111122223333", "time": "2017-10-02T18:43:48Z", "region": "us-east-1",
  "resources": [],
  "detail": {
    "c-count": 5, "d-count": 7, "x-limit": 301.8,
    "source-ip": "10.0.0.255", "state": "running", "FileName": "image.png",
    "EventBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/default",
    "responseElements": null, "empty": "", "count0": 0,
    "tags": ["blue", "prod"],
    "items": [{"name": "a", "kind": "x"}, {"name": "b", "kind": "y"}],
    "obj": {"k": "v"}
  }
}`

func TestMatch(t *testing.T) {
	cases := []struct {
		name, pattern, event string
		want                 bool
	}{
		{"source and detail-type", `{"source":["aws.ec2"],"detail-type":["EC2 Instance State-change Notification"]}`, ec2Event, true},
		{"array is OR", `{"detail":{"state":["running","stopped","terminated"]}}`, ec2Event, true},
		{"value absent from OR", `{"detail":{"state":["running","stopped"]}}`, ec2Event, false},
		{"case sensitive", `{"source":["AWS.EC2"]}`, ec2Event, false},
		{"event array any element", `{"resources":["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0","x"]}`, ec2Event, true},
		{"missing field", `{"detail":{"nope":["x"]}}`, ec2Event, false},
		{"prefix", `{"time":[{"prefix":"2017-12-22"}]}`, ec2Event, true},
		{"prefix ignore case", `{"detail":{"state":[{"prefix":{"equals-ignore-case":"TERM"}}]}}`, ec2Event, true},
		{"suffix", `{"detail":{"FileName":[{"suffix":".png"}]}}`, filterEvent, true},
		{"suffix ignore case", `{"detail":{"FileName":[{"suffix":{"equals-ignore-case":".PNG"}}]}}`, filterEvent, true},
		{"suffix no", `{"detail":{"FileName":[{"suffix":".jpg"}]}}`, filterEvent, false},
		{"anything-but value", `{"detail":{"state":[{"anything-but":"initializing"}]}}`, filterEvent, true},
		{"anything-but same value", `{"detail":{"state":[{"anything-but":"running"}]}}`, filterEvent, false},
		{"anything-but list", `{"detail":{"state":[{"anything-but":["stopped","overloaded"]}]}}`, filterEvent, true},
		{"anything-but number", `{"detail":{"c-count":[{"anything-but":[5]}]}}`, filterEvent, false},
		{"anything-but prefix", `{"detail":{"state":[{"anything-but":{"prefix":"run"}}]}}`, filterEvent, false},
		{"anything-but suffix", `{"detail":{"FileName":[{"anything-but":{"suffix":".txt"}}]}}`, filterEvent, true},
		{"anything-but wildcard", `{"detail":{"FileName":[{"anything-but":{"wildcard":"*.png"}}]}}`, filterEvent, false},
		{"anything-but ignore case list", `{"detail":{"state":[{"anything-but":{"equals-ignore-case":["RUNNING","x"]}}]}}`, filterEvent, false},
		{"anything-but absent field", `{"detail":{"nope":[{"anything-but":"x"}]}}`, filterEvent, false},
		{"numeric doc example", `{"detail":{"c-count":[{"numeric":[">",0,"<=",5]}],"d-count":[{"numeric":["<",10]}],"x-limit":[{"numeric":["=",3.018e2]}]}}`, filterEvent, true},
		{"numeric exclusive bound", `{"detail":{"c-count":[{"numeric":[">",5]}]}}`, filterEvent, false},
		{"numeric on string", `{"detail":{"state":[{"numeric":[">",0]}]}}`, filterEvent, false},
		{"numeric zero", `{"detail":{"count0":[{"numeric":["=",0]}]}}`, filterEvent, true},
		{"exact number", `{"detail":{"x-limit":[301.80]}}`, filterEvent, true},
		{"number does not match string", `{"detail":{"c-count":["5"]}}`, filterEvent, false},
		{"cidr", `{"detail":{"source-ip":[{"cidr":"10.0.0.0/24"}]}}`, filterEvent, true},
		{"cidr outside", `{"detail":{"source-ip":[{"cidr":"10.0.1.0/24"}]}}`, filterEvent, false},
		{"cidr ipv6 vs v4", `{"detail":{"source-ip":[{"cidr":"2001:db8::/32"}]}}`, filterEvent, false},
		{"exists true", `{"detail":{"state":[{"exists":true}]}}`, filterEvent, true},
		{"exists false on absent", `{"detail":{"nope":[{"exists":false}]}}`, filterEvent, true},
		{"exists false on present", `{"detail":{"state":[{"exists":false}]}}`, filterEvent, false},
		{"exists on intermediate node", `{"detail":{"obj":[{"exists":true}]}}`, filterEvent, false},
		{"exists true on null", `{"detail":{"responseElements":[{"exists":true}]}}`, filterEvent, true},
		{"null", `{"detail":{"responseElements":[null]}}`, filterEvent, true},
		{"null vs empty string", `{"detail":{"empty":[null]}}`, filterEvent, false},
		{"empty string", `{"detail":{"empty":[""]}}`, filterEvent, true},
		{"equals-ignore-case", `{"detail-type":[{"equals-ignore-case":"ec2 instance state-change notification"}]}`, ec2Event, true},
		{"wildcard", `{"detail":{"EventBusArn":[{"wildcard":"arn:aws:events:us-east-1:*:event-bus/*"}]}}`, filterEvent, true},
		{"wildcard other region", `{"detail":{"EventBusArn":[{"wildcard":"arn:aws:events:us-west-2:*:event-bus/*"}]}}`, filterEvent, false},
		{"wildcard escaped star", `{"detail":{"FileName":[{"wildcard":"image\\*png"}]}}`, filterEvent, false},
		{"$or doc example", `{"detail":{"$or":[{"c-count":[{"numeric":[">",0,"<=",5]}]},{"d-count":[{"numeric":["<",10]}]},{"x-limit":[{"numeric":["=",3.018e2]}]}]}}`, filterEvent, true},
		{"$or none", `{"detail":{"$or":[{"c-count":[1]},{"d-count":[2]}]}}`, filterEvent, false},
		{"$or top level", `{"$or":[{"source":["aws.ec2"]},{"detail-type":["x"]}],"region":["us-west-1"]}`, ec2Event, true},
		{"array element in list", `{"detail":{"tags":["prod"]}}`, filterEvent, true},
		{"array of objects flattened", `{"detail":{"items":{"name":["b"]}}}`, filterEvent, true},
		{"array of objects no", `{"detail":{"items":{"name":["c"]}}}`, filterEvent, false},
		{"nested pattern on scalar", `{"source":{"x":["y"]}}`, ec2Event, false},
		{"leaf pattern on object", `{"detail":["x"]}`, ec2Event, false},
		{"region", `{"region":["us-east-1"]}`, ec2Event, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.pattern)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, err := p.Match([]byte(tc.event))
			if err != nil {
				t.Fatalf("Match: %v", err)
			}
			if got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ name, pattern, want string }{
		{"numeric not array", `{"detail":{"state":[{"numeric":">"}]}}`, `event pattern: detail.state: "numeric" needs an array`},
		{"leaf not array", `{"source":"aws.ec2"}`, `event pattern: source: value must be an array`},
		{"not JSON", `{"source":`, `event pattern: not valid JSON`},
		{"not object", `["aws.ec2"]`, `event pattern: must be a JSON object`},
		{"empty", `{}`, `event pattern: is empty`},
		{"empty array", `{"source":[]}`, `event pattern: source: empty array`},
		{"unknown filter", `{"detail":{"x":[{"prefx":"a"}]}}`, `event pattern: detail.x: unknown content filter "prefx"`},
		{"two keys", `{"x":[{"prefix":"a","suffix":"b"}]}`, `exactly one key`},
		{"duplicate key", `{"source":["a"],"source":["b"]}`, `event pattern: source: key appears twice`},
		{"bad cidr", `{"ip":[{"cidr":"10.0.0.0/33"}]}`, `is not a CIDR block`},
		{"numeric bad op", `{"n":[{"numeric":["!=",1]}]}`, `unknown operator "!="`},
		{"numeric odd", `{"n":[{"numeric":[">"]}]}`, `operator/number pairs`},
		{"numeric empty range", `{"n":[{"numeric":[">",5,"<",1]}]}`, `empty range`},
		{"exists not bool", `{"n":[{"exists":"yes"}]}`, `"exists" needs true or false`},
		{"$or one", `{"$or":[{"a":["b"]}]}`, `$or: needs an array of at least two`},
		{"$or path", `{"detail":{"$or":[{"a":["b"]},{"c":"d"}]}}`, `event pattern: detail.$or[1].c: value must be an array`},
		{"index in path", `{"s":["a",{"numeric":1}]}`, `event pattern: s[1]: "numeric" needs an array`},
		{"anything-but nested", `{"s":[{"anything-but":{"cidr":"10.0.0.0/8"}}]}`, `does not support "cidr"`},
		{"too deep", strings.Repeat(`{"a":`, 40) + `["x"]` + strings.Repeat(`}`, 40), `nested more than`},
		{"too long", `{"a":["` + strings.Repeat("x", MaxPatternBytes) + `"]}`, `too long`},
		{"trailing data", `{"a":["b"]} x`, `not valid JSON`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.pattern)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded, want error containing %q", tc.pattern, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %q, want containing %q", err, tc.want)
			}
		})
	}
}

func TestMatchBadEvent(t *testing.T) {
	p, err := Parse(`{"source":["aws.ec2"]}`)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range []string{``, `not json`, `[1]`, `{"a":1} {"b":2}`} {
		if _, err := p.Match([]byte(ev)); err == nil {
			t.Errorf("Match(%q): want error", ev)
		}
	}
}

func TestFields(t *testing.T) {
	p, err := Parse(`{"source":["aws.signin"],"detail":{"eventName":["ConsoleLogin"],"$or":[{"userIdentity":{"type":["Root"]}},{"x":["y"]}]}}`)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(p.Fields(), ",")
	if want := "detail.eventName,detail.userIdentity.type,detail.x,source"; got != want {
		t.Errorf("Fields = %s, want %s", got, want)
	}
}
