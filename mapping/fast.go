package mapping

import (
	"strings"

	"github.com/expr-lang/expr/ast"
)

// Most mapping rules are one of a few shapes: attr("x"), lower(attr("x")),
// default(attr("a"), attr("b")), has("x"). Running them through the expr VM
// costs far more than the lookup they do, and idsync maps every person of
// the directory on every run. fastString and fastBool recognise those shapes
// in the compiled AST and return an equivalent Go function; anything else
// (nil) runs on the VM. TestFastPathsAgree checks both give the same result.

type (
	stringFn func(st *state) string
	boolFn   func(st *state) bool
)

// fastString returns a direct evaluation of n, or nil.
func fastString(n ast.Node) stringFn {
	switch n := n.(type) {
	case *ast.StringNode:
		v := n.Value
		return func(*state) string { return v }
	case *ast.IdentifierNode:
		switch n.Value {
		case "id":
			return func(st *state) string { return st.env.ID }
		case "dn":
			return func(st *state) string { return st.env.DN }
		}
	case *ast.BuiltinNode:
		if len(n.Arguments) != 1 {
			return nil
		}
		arg := fastString(n.Arguments[0])
		if arg == nil {
			return nil
		}
		switch n.Name {
		case "lower":
			return func(st *state) string { return strings.ToLower(arg(st)) }
		case "upper":
			return func(st *state) string { return strings.ToUpper(arg(st)) }
		}
	case *ast.CallNode:
		switch callee(n) {
		case "attr":
			if name, ok := constArg(n, 1); ok {
				return func(st *state) string { return st.attr(name) }
			}
		case "default":
			if len(n.Arguments) != 2 {
				return nil
			}
			a, b := fastString(n.Arguments[0]), fastString(n.Arguments[1])
			if a == nil || b == nil {
				return nil
			}
			return func(st *state) string {
				if v := a(st); v != "" {
					return v
				}
				return b(st)
			}
		}
	}
	return nil
}

// fastBool returns a direct evaluation of n, or nil.
func fastBool(n ast.Node) boolFn {
	switch n := n.(type) {
	case *ast.BoolNode:
		v := n.Value
		return func(*state) bool { return v }
	case *ast.CallNode:
		if callee(n) == "has" {
			if name, ok := constArg(n, 1); ok {
				return func(st *state) bool { return len(st.attrs(name)) > 0 }
			}
		}
	}
	return nil
}

// callee returns the name of the function a call node calls, or "".
func callee(n *ast.CallNode) string {
	if id, ok := n.Callee.(*ast.IdentifierNode); ok {
		return id.Value
	}
	return ""
}

// constArg returns the string constant that is the only argument of a call
// with want arguments.
func constArg(n *ast.CallNode, want int) (string, bool) {
	if len(n.Arguments) != want {
		return "", false
	}
	s, ok := n.Arguments[0].(*ast.StringNode)
	if !ok {
		return "", false
	}
	return s.Value, true
}
