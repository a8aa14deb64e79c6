package scim

import (
	"encoding/json"

	"github.com/idsync/idsync/targets"
)

// patchOp is one operation of a PatchOp message (RFC 7644 §3.5.2).
type patchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path,omitempty"`
	Value any    `json:"value,omitempty"`
}

// patchRequest is a PatchOp request body.
type patchRequest struct {
	Schemas    []string  `json:"schemas"`
	Operations []patchOp `json:"Operations"`
}

// userPatchOps returns the operations that make a user match a: replace
// for a value, remove for an empty one. A typed value (emails.work) is
// removed by filter and added again, which works whether or not the user
// has one (a replace by filter that matches nothing is a 400 noTarget).
func userPatchOps(a targets.Account, enterprise bool) ([]patchOp, error) {
	attrs, err := managedAttrs(a, enterprise)
	if err != nil {
		return nil, err
	}
	ops := []patchOp{{Op: "replace", Path: "userName", Value: a.UserName}}
	if a.ExternalID != "" {
		ops = append(ops, patchOp{Op: "replace", Path: "externalId", Value: a.ExternalID})
	} else {
		ops = append(ops, patchOp{Op: "remove", Path: "externalId"})
	}
	ops = append(ops, patchOp{Op: "replace", Path: "active", Value: a.Active})
	for _, at := range attrs {
		d, v := at.def, at.value
		var path string
		switch d.Kind {
		case targets.KindSimple:
			path = d.Path
		case targets.KindSub:
			path = d.Parent() + "." + d.Sub()
		case targets.KindEnterprise:
			path = schemaEnterprise + ":" + d.Path
		case targets.KindTyped:
			ops = append(ops, patchOp{Op: "remove", Path: d.Parent() + "[type eq " + quote(d.Sub()) + "]"})
			if v != "" {
				ops = append(ops, patchOp{Op: "add", Path: d.Parent(), Value: []any{typedElement(d, v)}})
			}
			continue
		}
		switch {
		case v == "":
			ops = append(ops, patchOp{Op: "remove", Path: path})
		case d.Ref:
			ops = append(ops, patchOp{Op: "replace", Path: path, Value: map[string]any{"value": v}})
		default:
			ops = append(ops, patchOp{Op: "replace", Path: path, Value: v})
		}
	}
	return ops, nil
}

// quote makes s a SCIM filter string literal (JSON string syntax).
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
