package scim_test

import (
	"encoding/json"
	"testing"

	"github.com/idsync/idsync/targets"
	"github.com/idsync/idsync/targets/scim"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

// seedRich stores a user with attributes idsync does not manage.
func seedRich(t *testing.T, srv *scimtest.Server) string {
	t.Helper()
	var data map[string]any
	err := json.Unmarshal([]byte(`{
	  "userName": "rich", "active": true, "nickName": "Richie", "displayName": "Old",
	  "name": {"givenName": "Rich", "familyName": "Keep"},
	  "addresses": [{"type": "work", "locality": "London"}],
	  "emails": [{"type": "home", "value": "rich@home.test"}, {"type": "work", "value": "old@work.test", "primary": true}],
	  "urn:example:params:scim:schemas:extension:custom:2.0:User": {"badge": "B-7"},
	  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"costCenter": "CC-1", "department": "Old"}
	}`), &data)
	if err != nil {
		t.Fatal(err)
	}
	id, err := srv.SeedResource("User", data)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestUpdateKeepsUnmanagedAttributes: only the fixed fields and the paths
// in Attrs change, with either update method.
func TestUpdateKeepsUnmanagedAttributes(t *testing.T) {
	for _, method := range []string{scim.UpdatePatch, scim.UpdatePut} {
		t.Run(method, func(t *testing.T) {
			url, token, srv := scimtest.Start(t, scimtest.Options{})
			id := seedRich(t, srv)
			cfg := testConfig(t, url, token)
			cfg.UpdateMethod = method
			c, _ := newClient(t, cfg)
			err := c.Update(t.Context(), id, targets.Account{UserName: "rich", ExternalID: "g-rich", Active: true,
				Attrs: targets.AttrsOf(map[string]string{"displayName": "New", "emails.work": "new@work.test", "department": "New", "name.familyName": ""})})
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := srv.User(id)
			got, _ := json.Marshal(map[string]any{
				"addresses": raw["addresses"], "nickName": raw["nickName"], "name": raw["name"], "emails": raw["emails"],
				"custom":      raw["urn:example:params:scim:schemas:extension:custom:2.0:User"],
				"enterprise":  raw["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
				"displayName": raw["displayName"], "externalId": raw["externalId"],
			})
			want := `{"addresses":[{"locality":"London","type":"work"}],"custom":{"badge":"B-7"},"displayName":"New",` +
				`"emails":[{"type":"home","value":"rich@home.test"},{"primary":true,"type":"work","value":"new@work.test"}],` +
				`"enterprise":{"costCenter":"CC-1","department":"New"},"externalId":"g-rich","name":{"givenName":"Rich"},"nickName":"Richie"}`
			if string(got) != want {
				t.Errorf("after Update:\n got  %s\n want %s", got, want)
			}
			if err := c.Deactivate(t.Context(), id); err != nil {
				t.Fatal(err)
			}
			if u := srv.Users()[0]; u.Active || u.Attrs.Get("nickName") != "Richie" || u.Attrs.Get("emails.home") != "rich@home.test" {
				t.Errorf("after Deactivate: %+v", u)
			}
		})
	}
}

func TestEnterpriseExtensionOff(t *testing.T) {
	url, token, srv := scimtest.Start(t, scimtest.Options{})
	cfg := testConfig(t, url, token)
	cfg.EnterpriseExtension = ptr(false)
	c, _ := newClient(t, cfg)
	id, err := c.Create(t.Context(), alice()) // has department
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := srv.User(id)
	if _, ok := raw["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]; ok {
		t.Errorf("extension sent although off: %v", raw)
	}
	if u := srv.Users()[0]; u.Attrs.Get("emails.work") != "alice@example.test" {
		t.Errorf("core attributes lost: %+v", u)
	}
}
