package awsclient

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// An empty answer is not data. AWS's JSON protocols (awsJson1.0/1.1) always answer an
// operation that has an output with a JSON document (`{}` at least), its query protocols
// (awsQuery, ec2Query) with an XML element, and the RPCv2 CBOR protocol with a CBOR map. The
// SDK, though, takes a 2xx answer with no body at all for an output with nothing in it — a
// list call then reads as "no instances", "no rules" — so a proxy or a network fault that
// drops the body would turn into verdicts. RejectEmptyAnswers makes such an answer an error
// naming the operation, on every operation of every client built from the configuration, so
// that the checks that needed it say ERROR. REST protocols (Lambda, S3, Resource Groups) bind
// outputs to headers and status codes too and may answer with no body; they are left alone.

// EmptyAnswerCode is the error code of an empty answer.
const EmptyAnswerCode = "EmptyAnswer"

// RejectEmptyAnswers adds the check to cfg's clients.
func RejectEmptyAnswers(cfg *aws.Config) {
	cfg.APIOptions = append(cfg.APIOptions, addEmptyAnswerCheck)
}

// addEmptyAnswerCheck puts a counter on the response body beneath the operation's
// deserializer, and the check above it, where the decoded output shows whether the operation
// has anything to answer.
func addEmptyAnswerCheck(stack *middleware.Stack) error {
	if _, ok := stack.Deserialize.Get("OperationDeserializer"); !ok {
		return nil
	}
	if err := stack.Deserialize.Insert(emptyAnswerCheck{}, "OperationDeserializer", middleware.Before); err != nil {
		return err
	}
	return stack.Deserialize.Insert(bodyCounter{}, "OperationDeserializer", middleware.After)
}

type countKey struct{}

// bodyCount is what bodyCounter saw of one answer.
type bodyCount struct {
	seen   bool
	status int
	n      int64
}

type countingBody struct {
	io.ReadCloser
	c *bodyCount
}

func (b countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.c.n += int64(n)
	return n, err
}

type bodyCounter struct{}

func (bodyCounter) ID() string { return "lookout.EmptyAnswerCounter" }

func (bodyCounter) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
	out, md, err := next.HandleDeserialize(ctx, in)
	c, _ := middleware.GetStackValue(ctx, countKey{}).(*bodyCount)
	if resp, ok := out.RawResponse.(*smithyhttp.Response); ok && c != nil && resp.Body != nil {
		c.seen, c.status = true, resp.StatusCode
		resp.Body = countingBody{ReadCloser: resp.Body, c: c}
	}
	return out, md, err
}

type emptyAnswerCheck struct{}

func (emptyAnswerCheck) ID() string { return "lookout.EmptyAnswerCheck" }

func (emptyAnswerCheck) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
	c := &bodyCount{}
	out, md, err := next.HandleDeserialize(middleware.WithStackValue(ctx, countKey{}, c), in)
	if err != nil || !c.seen || c.n > 0 || c.status < 200 || c.status >= 300 {
		return out, md, err
	}
	req, ok := in.Request.(*smithyhttp.Request)
	if !ok || !documentProtocol(req) || !hasOutput(out.Result) {
		return out, md, err
	}
	op := strings.ToLower(awsmiddleware.GetServiceID(ctx)) + ":" + middleware.GetOperationName(ctx)
	if name := awsmiddleware.GetSigningName(ctx); name != "" {
		op = name + ":" + middleware.GetOperationName(ctx)
	}
	return out, md, &smithy.GenericAPIError{Code: EmptyAnswerCode, Fault: smithy.FaultServer,
		Message: fmt.Sprintf("%s answered HTTP %d with an empty body, where AWS always answers with a document: not taken as an empty list", op, c.status)}
}

// documentProtocol reports whether the request speaks a protocol whose every answer with an
// output has a body: awsJson (X-Amz-Target), awsQuery and ec2Query (a form body), RPCv2 CBOR.
func documentProtocol(r *smithyhttp.Request) bool {
	return r.Header.Get("X-Amz-Target") != "" || r.Header.Get("Smithy-Protocol") != "" ||
		strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")
}

// hasOutput reports whether an operation's output has anything to answer: a field besides the
// result metadata every output carries.
func hasOutput(result any) bool {
	v := reflect.ValueOf(result)
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return false
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return false
	}
	t := v.Type()
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() && f.Name != "ResultMetadata" {
			return true
		}
	}
	return false
}
