package iampolicy

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// jnode is one decoded JSON value. Objects keep their keys in document order so that
// evaluation, and therefore every Reason, is deterministic.
type jnode struct {
	kind jkind
	str  string   // string value, number text as written, or "true"/"false"
	keys []string // object keys, parallel to vals
	vals []*jnode // object values or array elements
}

type jkind uint8

const (
	jObject jkind = iota
	jArray
	jString
	jNumber
	jBool
	jNull
)

// describe renders a scalar for an error message.
func (n *jnode) describe() string {
	switch n.kind {
	case jString:
		return fmt.Sprintf("%q", n.str)
	case jNumber, jBool:
		return n.str
	case jNull:
		return "null"
	case jArray:
		return "a list"
	}
	return "an object"
}

// decodeJSON decodes one JSON document with the standard library's streaming tokenizer, which
// is iterative, so nesting costs no stack until MaxDepth refuses it. Errors carry the byte
// offset with its line and column.
func decodeJSON(doc string) (*jnode, error) {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	n, err := decodeValue(dec, doc, 1)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			return nil, syntaxErr(doc, dec.InputOffset(), "unexpected data after the policy document")
		}
		return nil, tokenErr(doc, dec, err)
	}
	return n, nil
}

func decodeValue(dec *json.Decoder, doc string, depth int) (*jnode, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, tokenErr(doc, dec, err)
	}
	switch t := tok.(type) {
	case json.Delim:
		if depth > MaxDepth {
			return nil, syntaxErr(doc, dec.InputOffset()-1, fmt.Sprintf("JSON nested deeper than %d levels", MaxDepth))
		}
		n := &jnode{kind: jArray}
		if t == '{' {
			n.kind = jObject
		}
		for dec.More() {
			if n.kind == jObject {
				kt, err := dec.Token()
				if err != nil {
					return nil, tokenErr(doc, dec, err)
				}
				key, _ := kt.(string) // the tokenizer guarantees a string here
				for _, k := range n.keys {
					if k == key {
						// IAM's behaviour with duplicate keys is undocumented; refuse rather than
						// guess which one it honours.
						return nil, syntaxErr(doc, dec.InputOffset(), fmt.Sprintf("duplicate key %q", key))
					}
				}
				n.keys = append(n.keys, key)
			}
			v, err := decodeValue(dec, doc, depth+1)
			if err != nil {
				return nil, err
			}
			n.vals = append(n.vals, v)
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return nil, tokenErr(doc, dec, err)
		}
		return n, nil
	case string:
		return &jnode{kind: jString, str: t}, nil
	case json.Number:
		return &jnode{kind: jNumber, str: string(t)}, nil
	case bool:
		s := "false"
		if t {
			s = "true"
		}
		return &jnode{kind: jBool, str: s}, nil
	}
	return &jnode{kind: jNull}, nil
}

// tokenErr turns a tokenizer error into one that says where.
func tokenErr(doc string, dec *json.Decoder, err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return syntaxErr(doc, se.Offset, se.Error())
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		return syntaxErr(doc, int64(len(doc)), "unexpected end of JSON input")
	}
	return syntaxErr(doc, dec.InputOffset(), err.Error())
}

// syntaxErr formats a JSON-level error at a byte offset, with its 1-based line and column.
func syntaxErr(doc string, off int64, msg string) error {
	if off < 0 {
		off = 0
	}
	if off > int64(len(doc)) {
		off = int64(len(doc))
	}
	before := doc[:off]
	line := strings.Count(before, "\n") + 1
	col := len(before) - strings.LastIndexByte(before, '\n')
	return fmt.Errorf("iampolicy: invalid JSON at offset %d (line %d, column %d): %s", off, line, col, msg)
}
