package mapping

import (
	"errors"
	"fmt"
	"strings"

	"github.com/expr-lang/expr/file"
)

// RuleError is a problem with one rule: found by Compile in the
// configuration, or by Map while evaluating it for an entry. Its message
// starts with Key, so a configuration loader can prefix "mapping." and point
// at the line that defines the rule.
type RuleError struct {
	// Key is the rule's key path relative to [mapping]: "scope",
	// "disabled", "attributes.department", "roles[1].when",
	// "group_roles[0].name". Array indexes count from 0.
	Key string
	// Err is the problem.
	Err error
}

// Error implements error.
func (e *RuleError) Error() string { return e.Key + ": " + e.Err.Error() }

// Unwrap returns e.Err.
func (e *RuleError) Unwrap() error { return e.Err }

func ruleErr(key string, format string, args ...any) error {
	return &RuleError{Key: key, Err: fmt.Errorf(format, args...)}
}

// exprError presents an expr error on one line, with the line:column of the
// expression where it is known, without expr's multi-line source snippet.
type exprError struct {
	err error
}

func (e exprError) Error() string {
	var fe *file.Error
	if !errors.As(e.err, &fe) {
		return e.err.Error()
	}
	msg := typeNames.Replace(strings.TrimSpace(fe.Message))
	if fe.Line == 0 {
		return msg
	}
	return fmt.Sprintf("%s (%d:%d)", msg, fe.Line, fe.Column+1)
}

// typeNames replaces the Go names of the environments in expr's messages
// with what a rule author sees.
var typeNames = strings.NewReplacer("mapping.groupVars", "group", "mapping.personEnv", "the environment", "mapping.groupEnv", "the environment")

func (e exprError) Unwrap() error { return e.err }
