// Package apicatalog is a catalogue of every AWS API operation, each with the CloudTrail
// eventSource it is recorded under and whether CloudTrail marks it read-only.
//
// Why: lookout judges whether a CloudWatch Logs metric filter pattern or an EventBridge event
// pattern is too broad, that is, whether it fires on API calls nobody asked to watch:
// ($.eventName = *Trail) also matches cloudtrail's read GetTrail, and ($.eventName = Delete*)
// with no event source matches s3 DeleteBucket, iam DeleteUser and ec2 DeleteSnapshot. Judging
// against a hand-picked list of calls misses what the list forgot; judging against every
// operation AWS publishes does not.
//
// # Where the data comes from
//
// catalog.tsv.gz is generated from the service models of botocore, the AWS SDK for Python,
// which describe every public AWS API (one model per service and API version). The generator,
// ./gen, reads the newest API version of every service and derives for each operation:
//
//   - The eventSource: CloudTrail records most services as <endpointPrefix>.amazonaws.com
//     ("This name is typically a short form of the service name without spaces plus
//     .amazonaws.com", CloudTrail record contents). The services recorded differently, such
//     as SES (endpoint prefix email, event source ses.amazonaws.com) or S3 Control (recorded as
//     s3.amazonaws.com), are listed in one table in gen/rules.go, each with the AWS
//     documentation that shows it.
//   - The eventName: the operation name, except where CloudTrail documents another name (S3
//     records PutBucketLifecycleConfiguration as PutBucketLifecycle and S3 Control's
//     PutPublicAccessBlock as PutAccountPublicAccessBlock).
//   - Read-only: CloudTrail's readOnly field. Services set it per operation and AWS publishes
//     no list, so the generator applies the naming rule that CloudTrail's own classification
//     follows (Get, List, Describe, Head, Lookup, Search, BatchGet, Query, Scan, Select ... are
//     read-only) plus a table of documented exceptions (KMS records Decrypt, Encrypt and
//     GenerateDataKey as read-only; STS records AssumeRole as read-only).
//
// Several botocore models can share an event source (ses, sesv2 and pinpoint-email all have
// the endpoint prefix email); the catalogue holds each (eventSource, eventName) pair once.
//
// Limits: some services append an API version to eventName (AWS Lambda records CreateFunction
// as CreateFunction20150331); the catalogue holds the operation name without it. Operations a
// service never records in CloudTrail are listed all the same: the catalogue says what a
// pattern could match, not what an account logs.
//
// # Regenerating
//
// After a botocore upgrade, run from the repository root
//
//	go generate ./internal/apicatalog
//
// which runs go run ./gen -o catalog.tsv.gz. The generator finds botocore's data directory
// through $BOTOCORE_DATA, else the botocore package python3 imports, else Debian's
// python3-botocore (/usr/lib/python3/dist-packages/botocore/data); pass -botocore DIR to name
// it outright:
//
//	go run ./internal/apicatalog/gen -botocore DIR -o internal/apicatalog/catalog.tsv.gz
//
// The package's tests regenerate the catalogue from the installed botocore and fail when it
// differs from the embedded file.
package apicatalog

//go:generate go run ./gen -o catalog.tsv.gz

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
)

//go:embed catalog.tsv.gz
var catalogGz []byte

// embeddedName names the embedded file in errors.
const embeddedName = "catalog.tsv.gz"

// versionKey introduces the header line that names the botocore version the data came from.
const versionKey = "# botocore-version: "

// Operation is one AWS API operation as CloudTrail records it.
type Operation struct {
	// EventSource is CloudTrail's eventSource, e.g. "cloudtrail.amazonaws.com".
	EventSource string
	// Name is CloudTrail's eventName, e.g. "StopLogging".
	Name string
	// ReadOnly is CloudTrail's readOnly field: true for calls that change nothing.
	ReadOnly bool
}

type key struct{ source, name string }

type catalog struct {
	ops     []Operation
	index   map[key]int
	sources []string
	version string
}

var (
	loadOnce sync.Once
	loaded   *catalog
)

// get decodes the embedded catalogue on first use. A decoding failure means the build
// embedded a corrupt file, which the package's tests rule out, so it panics.
func get() *catalog {
	loadOnce.Do(func() {
		c, err := decode(catalogGz)
		if err != nil {
			panic(fmt.Sprintf("apicatalog: %s: %v", embeddedName, err))
		}
		loaded = c
	})
	return loaded
}

// All returns every operation, sorted by EventSource and then Name. The slice is shared by
// every caller: it must not be modified. Its capacity equals its length, so appending to it
// copies rather than overwriting the catalogue.
func All() []Operation {
	ops := get().ops
	return ops[:len(ops):len(ops)]
}

// Lookup returns the operation CloudTrail records under eventSource and eventName. Both are
// matched exactly and case-sensitively, as CloudTrail values are.
func Lookup(eventSource, name string) (Operation, bool) {
	c := get()
	i, ok := c.index[key{eventSource, name}]
	if !ok {
		return Operation{}, false
	}
	return c.ops[i], true
}

// Sources returns every event source in the catalogue, sorted. Like All, the slice is shared
// and must not be modified.
func Sources() []string {
	s := get().sources
	return s[:len(s):len(s)]
}

// Version returns the botocore version the catalogue was generated from, e.g. "1.43.11", or
// "" when the generator could not tell.
func Version() string {
	return get().version
}

// EventBridgeSource returns the EventBridge source of the "AWS API Call via CloudTrail" events
// that CloudTrail delivers for eventSource: "aws." followed by the event source without
// ".amazonaws.com" (iam.amazonaws.com gives aws.iam, monitoring.amazonaws.com gives
// aws.monitoring).
//
// The rule is the one the EventBridge event reference ("Events" table and the per-service
// pages) applies to every service it lists; the pages checked for it include CloudWatch
// (aws.monitoring), CloudWatch Logs, CloudTrail, DynamoDB, ECR, ECR Public, Detective,
// MemoryDB, AWS Price List (aws.pricelist), SageMaker metrics (aws.metrics-sagemaker), IAM
// Identity Center (aws.sso-oauth) and Marketplace Discovery, and none of them departs from
// it, so no exception is encoded. An event source outside amazonaws.com, such as the
// signin.amazon.com of IAM Identity Center sign-in events, has no rule to follow: the result
// is "".
func EventBridgeSource(eventSource string) string {
	service, ok := strings.CutSuffix(eventSource, ".amazonaws.com")
	if !ok || service == "" {
		return ""
	}
	return "aws." + service
}

// decode reads the gzip-compressed catalogue.
func decode(gz []byte) (*catalog, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("gunzip: %w", err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("gunzip: %w", err)
	}
	if err := zr.Close(); err != nil {
		return nil, fmt.Errorf("gunzip: %w", err)
	}
	return parse(string(data))
}

// parse reads the catalogue's TSV text: "#" header lines, then one line per operation,
// "eventSource\teventName\tr" or "...\tw", sorted and without duplicates. The operations'
// strings are substrings of text, so parsing allocates little beyond the slice and index.
func parse(text string) (*catalog, error) {
	c := &catalog{index: make(map[key]int, strings.Count(text, "\n"))}
	lineNo := 0
	for len(text) > 0 {
		lineNo++
		line, rest, found := strings.Cut(text, "\n")
		if !found {
			return nil, fmt.Errorf("line %d: missing final newline", lineNo)
		}
		text = rest
		if strings.HasPrefix(line, "#") {
			if v, ok := strings.CutPrefix(line, versionKey); ok {
				c.version = v
			}
			continue
		}
		source, name, ro, err := splitLine(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", lineNo, err)
		}
		if n := len(c.ops); n > 0 {
			prev := c.ops[n-1]
			if prev.EventSource > source || (prev.EventSource == source && prev.Name >= name) {
				return nil, fmt.Errorf("line %d: %s %s is out of order or repeated", lineNo, source, name)
			}
		}
		if n := len(c.sources); n == 0 || c.sources[n-1] != source {
			c.sources = append(c.sources, source)
		}
		c.index[key{source, name}] = len(c.ops)
		c.ops = append(c.ops, Operation{EventSource: source, Name: name, ReadOnly: ro})
	}
	if len(c.ops) == 0 {
		return nil, errors.New("no operations")
	}
	return c, nil
}

func splitLine(line string) (source, name string, readOnly bool, err error) {
	fields := strings.Split(line, "\t")
	if len(fields) != 3 {
		return "", "", false, fmt.Errorf("want 3 tab-separated fields, got %d", len(fields))
	}
	source, name = fields[0], fields[1]
	if source == "" || name == "" {
		return "", "", false, errors.New("empty event source or name")
	}
	switch fields[2] {
	case "r":
		readOnly = true
	case "w":
	default:
		return "", "", false, fmt.Errorf("read-only column is %q, want r or w", fields[2])
	}
	return source, name, readOnly, nil
}
