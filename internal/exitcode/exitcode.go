// Package exitcode carries the process exit codes of the lookout contract through ordinary Go
// errors, so that commands can be written as testable functions returning error and only main
// decides how the process ends.
package exitcode

import (
	"errors"
	"fmt"
)

// The exit codes of the report contract (README: Exit codes).
const (
	OK         = 0 // scan complete, nothing at or above --fail-on
	Findings   = 1 // scan complete, at least one unwaived FAIL at or above --fail-on
	Incomplete = 2 // at least one finding is ERROR
	Usage      = 3 // invalid usage or input
)

// Error is an error that decides the exit code. A nil Err with a non-zero Code means "exit
// quietly with this code": the command already told the user what happened (e.g. findings).
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Usagef returns an exit-3 error: bad flags, unreadable or malformed input.
func Usagef(format string, args ...any) error {
	return &Error{Code: Usage, Err: fmt.Errorf(format, args...)}
}

// WithCode wraps err so that the process exits with code.
func WithCode(code int, err error) error { return &Error{Code: code, Err: err} }

// Silent asks for exit code without printing anything more.
func Silent(code int) error { return &Error{Code: code} }

// Code reports the exit code err asks for: 0 for nil, the carried code for *Error, and
// Usage for any other error (a failure to even start is the user's input or environment).
func Code(err error) int {
	if err == nil {
		return OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Usage
}
