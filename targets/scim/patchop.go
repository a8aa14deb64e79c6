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

// patchMessage wraps operations in a PatchOp request body.
func patchMessage(ops []patchOp) map[string]any {
	return map[string]any{"schemas": []string{schemaPatchOp}, "Operations": ops}
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
		v := at.Value
		def, _ := lookupAttr(at.Path)
		var path string
		switch def.kind {
		case kindTop:
			path = def.attr
		case kindName:
			path = "name." + def.attr
		case kindEnterprise:
			path = schemaEnterprise + ":" + def.attr
		case kindTyped:
			ops = append(ops, patchOp{Op: "remove", Path: def.attr + "[type eq " + quote(def.typ) + "]"})
			if v != "" {
				ops = append(ops, patchOp{Op: "add", Path: def.attr, Value: []any{typedValue(def, v)}})
			}
			continue
		}
		if v == "" {
			ops = append(ops, patchOp{Op: "remove", Path: path})
		} else {
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
