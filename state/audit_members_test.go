package state

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzParseMembers: the direct reading of a members column gives what
// encoding/json gives, and fails where it fails.
func FuzzParseMembers(f *testing.F) {
	for _, s := range []string{
		`[]`, `null`, `[{}]`, `[{"redacted":true}]`,
		`[{"sourceId":"s-ann","targetId":"u-ann","userName":"ann","reason":"mapping.group_roles[0]: member of cn=Sales"},{"redacted":true}]`,
		`[{"sourceId":"a\"b"}]`, `[{"SOURCEID":"x"}]`, `[ {"reason":"é"} ]`, `[{"userName":"\u003cb\u003e"}]`, `[{"reason":"x"}]x`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseMembers(s, nil)
		var want []storedMember
		werr := json.Unmarshal([]byte(s), &want)
		if (err != nil) != (werr != nil) {
			t.Fatalf("%q: error %v, encoding/json %v", s, err, werr)
		}
		if err == nil && len(got)+len(want) > 0 && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: %+v, encoding/json %+v", s, got, want)
		}
	})
}

// TestParseMembersWritten: what encodeAudit writes is read directly.
func TestParseMembersWritten(t *testing.T) {
	ms := []AuditMember{{SourceID: "s-ann", TargetID: "u-ann", UserName: "ann", Reason: "mapping.group_roles[0]: member of cn=Sales"}, {TargetID: "u-bob"}}
	e, err := encodeAudit(Audit{Target: "t", Kind: "group", Action: "add-members", Members: ms})
	if err != nil {
		t.Fatal(err)
	}
	got, ok := parseMembersCompact(e.members.(string), nil)
	want := []storedMember{{SourceID: "s-ann", TargetID: "u-ann", UserName: "ann", Reason: ms[0].Reason}, {TargetID: "u-bob"}}
	if !ok || !reflect.DeepEqual(got, want) {
		t.Errorf("parseMembersCompact(%s) = %+v, %v", e.members, got, ok)
	}
}
