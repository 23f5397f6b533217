package filterpattern

import (
	"fmt"
	"strings"
)

// && and || as JSON and space-delimited patterns share them: how a chain of operands is read,
// evaluated and printed. N is the condition tree of one pattern shape.

// anyHolds is ||: whether some operand holds, stopping at the first that does.
func anyHolds[N any](kids []N, holds func(N) bool) bool {
	for _, k := range kids {
		if holds(k) {
			return true
		}
	}
	return false
}

// allHold is &&: whether every operand holds, stopping at the first that does not.
func allHold[N any](kids []N, holds func(N) bool) bool {
	for _, k := range kids {
		if !holds(k) {
			return false
		}
	}
	return true
}

// joinKids prints operands separated by sep, parenthesising those grouped says need it.
func joinKids[N fmt.Stringer](kids []N, sep string, grouped func(N) bool) string {
	parts := make([]string, len(kids))
	for i, k := range kids {
		s := k.String()
		if grouped(k) {
			s = "(" + s + ")"
		}
		parts[i] = s
	}
	return strings.Join(parts, sep)
}

// operatorChain reads operand { op operand } from s at *pos, white space allowed before each
// op: a lone operand as it is, several as group(operands). operand is told whether it reads
// the first one.
func operatorChain[N any](s string, pos *int, op string, operand func(first bool) (N, error), group func([]N) N) (N, error) {
	var none N
	first, err := operand(true)
	if err != nil {
		return none, err
	}
	kids := []N{first}
	for {
		*pos = skipSpace(s, *pos)
		if !strings.HasPrefix(s[*pos:], op) {
			break
		}
		*pos += len(op)
		n, err := operand(false)
		if err != nil {
			return none, err
		}
		kids = append(kids, n)
	}
	if len(kids) == 1 {
		return first, nil
	}
	return group(kids), nil
}
