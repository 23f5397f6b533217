package apicatalog

import (
	"slices"
	"strings"
	"testing"
)

func TestLookup(t *testing.T) {
	tests := []struct {
		source, name string
		readOnly     bool
	}{
		{"cloudtrail.amazonaws.com", "GetTrail", true},
		{"cloudtrail.amazonaws.com", "DescribeTrails", true},
		{"cloudtrail.amazonaws.com", "LookupEvents", true},
		{"cloudtrail.amazonaws.com", "StopLogging", false},
		{"cloudtrail.amazonaws.com", "DeleteTrail", false},
		{"s3.amazonaws.com", "DeleteBucket", false},
		{"s3.amazonaws.com", "GetObject", true},
		{"s3.amazonaws.com", "PutBucketLifecycle", false},          // S3's event name for PutBucketLifecycleConfiguration
		{"s3.amazonaws.com", "PutAccountPublicAccessBlock", false}, // S3 Control, recorded as s3
		{"iam.amazonaws.com", "DeleteUser", false},
		{"iam.amazonaws.com", "GetUser", true},
		{"ec2.amazonaws.com", "DescribeInstances", true},
		{"ec2.amazonaws.com", "DeleteSnapshot", false},
		{"kms.amazonaws.com", "Decrypt", true},
		{"kms.amazonaws.com", "ScheduleKeyDeletion", false},
		{"sts.amazonaws.com", "AssumeRole", true},
		{"monitoring.amazonaws.com", "DeleteAlarms", false},
		{"logs.amazonaws.com", "DeleteMetricFilter", false},
		{"events.amazonaws.com", "DisableRule", false},
		{"ses.amazonaws.com", "SendEmail", false},
		{"sso.amazonaws.com", "CreateToken", false},
		{"sso.amazonaws.com", "GetRoleCredentials", true},
		{"states.amazonaws.com", "StartExecution", false},
	}
	for _, tt := range tests {
		op, ok := Lookup(tt.source, tt.name)
		if !ok {
			t.Errorf("Lookup(%q, %q) found nothing", tt.source, tt.name)
			continue
		}
		want := Operation{EventSource: tt.source, Name: tt.name, ReadOnly: tt.readOnly}
		if op != want {
			t.Errorf("Lookup(%q, %q) = %+v, want %+v", tt.source, tt.name, op, want)
		}
	}
}

func TestLookupMissing(t *testing.T) {
	tests := []struct{ source, name string }{
		{"cloudtrail.amazonaws.com", "gettrail"},             // case-sensitive
		{"CloudTrail.amazonaws.com", "GetTrail"},             // case-sensitive
		{"s3-control.amazonaws.com", "PutPublicAccessBlock"}, // recorded under s3
		{"email.amazonaws.com", "SendEmail"},                 // recorded under ses
		{"cloudtrail.amazonaws.com", "NoSuchOperation"},
		{"", ""},
	}
	for _, tt := range tests {
		if op, ok := Lookup(tt.source, tt.name); ok {
			t.Errorf("Lookup(%q, %q) = %+v, want not found", tt.source, tt.name, op)
		}
	}
}

func TestAll(t *testing.T) {
	ops := All()
	if len(ops) <= 15000 {
		t.Fatalf("All() has %d operations, want more than 15000", len(ops))
	}
	for i, op := range ops {
		if op.EventSource == "" || op.Name == "" {
			t.Fatalf("All()[%d] = %+v has an empty field", i, op)
		}
		if !strings.HasSuffix(op.EventSource, ".amazonaws.com") {
			t.Errorf("All()[%d]: event source %q does not end in .amazonaws.com", i, op.EventSource)
		}
		if i > 0 {
			prev := ops[i-1]
			if prev.EventSource > op.EventSource || (prev.EventSource == op.EventSource && prev.Name >= op.Name) {
				t.Fatalf("All() is not sorted and unique at %d: %+v then %+v", i, prev, op)
			}
		}
		if got, ok := Lookup(op.EventSource, op.Name); !ok || got != op {
			t.Fatalf("Lookup(%q, %q) = %+v, %v; want %+v", op.EventSource, op.Name, got, ok, op)
		}
	}
	// Appending to the result must not write into the shared catalogue.
	more := append(All(), Operation{EventSource: "x", Name: "y"})
	if &more[0] == &ops[0] {
		t.Error("append to All() reused the shared array")
	}
}

func TestSources(t *testing.T) {
	sources := Sources()
	if !slices.IsSorted(sources) || len(slices.Compact(slices.Clone(sources))) != len(sources) {
		t.Fatal("Sources() is not sorted and unique")
	}
	var fromAll []string
	for _, op := range All() {
		if n := len(fromAll); n == 0 || fromAll[n-1] != op.EventSource {
			fromAll = append(fromAll, op.EventSource)
		}
	}
	if !slices.Equal(sources, fromAll) {
		t.Errorf("Sources() has %d event sources, All() %d", len(sources), len(fromAll))
	}
	for _, want := range []string{
		"cloudtrail.amazonaws.com", "iam.amazonaws.com", "s3.amazonaws.com",
		"monitoring.amazonaws.com", "ses.amazonaws.com", "sso.amazonaws.com",
	} {
		if _, ok := slices.BinarySearch(sources, want); !ok {
			t.Errorf("Sources() lacks %s", want)
		}
	}
	for _, absent := range []string{"email.amazonaws.com", "s3-control.amazonaws.com", "api.ecr.amazonaws.com"} {
		if _, ok := slices.BinarySearch(sources, absent); ok {
			t.Errorf("Sources() has %s, which CloudTrail records under another name", absent)
		}
	}
}

func TestVersion(t *testing.T) {
	v := Version()
	if v == "" || strings.ContainsAny(v, " \t") {
		t.Errorf("Version() = %q, want a botocore version such as 1.43.11", v)
	}
}

func TestEventBridgeSource(t *testing.T) {
	tests := []struct{ eventSource, want string }{
		{"iam.amazonaws.com", "aws.iam"},
		{"cloudtrail.amazonaws.com", "aws.cloudtrail"},
		{"monitoring.amazonaws.com", "aws.monitoring"},
		{"logs.amazonaws.com", "aws.logs"},
		{"sso-oauth.amazonaws.com", "aws.sso-oauth"},
		{"pricelist.amazonaws.com", "aws.pricelist"},
		{"metrics-sagemaker.amazonaws.com", "aws.metrics-sagemaker"},
		{"signin.amazon.com", ""},
		{".amazonaws.com", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := EventBridgeSource(tt.eventSource); got != tt.want {
			t.Errorf("EventBridgeSource(%q) = %q, want %q", tt.eventSource, got, tt.want)
		}
	}
}

func TestParse(t *testing.T) {
	c, err := parse("# botocore-version: 9.9\n# other\na.amazonaws.com\tGetX\tr\na.amazonaws.com\tPutX\tw\nb.amazonaws.com\tGetX\tr\n")
	if err != nil {
		t.Fatal(err)
	}
	if c.version != "9.9" || len(c.ops) != 3 || !slices.Equal(c.sources, []string{"a.amazonaws.com", "b.amazonaws.com"}) {
		t.Errorf("parse = version %q, %d ops, sources %q", c.version, len(c.ops), c.sources)
	}

	bad := []struct{ name, text, wantErr string }{
		{"empty", "", "no operations"},
		{"header only", "# botocore-version: 1\n", "no operations"},
		{"no final newline", "a\tB\tr", "line 1: missing final newline"},
		{"two fields", "a\tB\n", "line 1: want 3 tab-separated fields, got 2"},
		{"four fields", "a\tB\tr\tx\n", "line 1: want 3 tab-separated fields, got 4"},
		{"bad flag", "a\tB\tx\n", `line 1: read-only column is "x"`},
		{"empty name", "a\t\tr\n", "line 1: empty event source or name"},
		{"out of order", "b\tA\tr\na\tA\tr\n", "line 2: a A is out of order or repeated"},
		{"repeated", "a\tA\tr\na\tA\tw\n", "line 2: a A is out of order or repeated"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := parse(tt.text); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parse(%q) error = %v, want one containing %q", tt.text, err, tt.wantErr)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	if _, err := decode([]byte("not gzip")); err == nil || !strings.Contains(err.Error(), "gunzip") {
		t.Errorf("decode(not gzip) error = %v, want a gunzip error", err)
	}
	if _, err := decode(catalogGz[:len(catalogGz)/2]); err == nil {
		t.Error("decode(truncated catalogue) succeeded")
	}
}

// FuzzParse checks that parse returns an error, never panics, on any text, and that what it
// accepts is sorted and indexed.
func FuzzParse(f *testing.F) {
	f.Add("# botocore-version: 1\na.amazonaws.com\tGetX\tr\n")
	f.Add("a\tB\tw\nb\tA\tr\n")
	f.Add("a\tB\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, text string) {
		c, err := parse(text)
		if err != nil {
			return
		}
		for i, op := range c.ops {
			if c.index[key{op.EventSource, op.Name}] != i {
				t.Fatalf("index of %+v is not %d", op, i)
			}
			if i > 0 && c.ops[i-1].EventSource > op.EventSource {
				t.Fatalf("ops not sorted at %d", i)
			}
		}
	})
}

func BenchmarkLookup(b *testing.B) {
	get()
	for b.Loop() {
		Lookup("cloudtrail.amazonaws.com", "StopLogging")
	}
}

func BenchmarkDecode(b *testing.B) {
	for b.Loop() {
		if _, err := decode(catalogGz); err != nil {
			b.Fatal(err)
		}
	}
}
