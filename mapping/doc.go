// Package mapping turns directory entries into the accounts and roles idsync
// wants in a target. Rules are expressions (github.com/expr-lang/expr)
// compiled once when the configuration loads; evaluating them is pure: no
// I/O, the same entry always maps to the same result, and every mapped value
// and role records the rule that produced it so a plan can say why.
//
// It also holds the source-independent pieces every reader shares: Entry,
// DN normalisation and nested-group expansion (Groups).
package mapping
