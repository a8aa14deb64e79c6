package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// The SCIM messages idsync reads, as typed structs for encoding/json.
// encoding/json matches object keys to fields case-insensitively, as RFC
// 7643 §2.1 asks of attribute names. An attribute of a resource with an
// unexpected JSON shape (a string for "name", an object for "emails") reads
// as absent: encoding/json skips a value of the wrong type and goes on
// (see decodeResources), and every leaf is a scalar, which takes any
// JSON value.

// listResponse is a SCIM ListResponse (RFC 7644 §3.4.2) of T, which is
// user or group.
type listResponse[T any] struct {
	TotalResults int `json:"totalResults"`
	Resources    []T `json:"Resources"`
	// NextCursor is the cursor of the next page of a cursor-paged list
	// (AWS IAM Identity Center); "" on the last page.
	NextCursor string `json:"nextCursor"`
}

// user is a SCIM User (RFC 7643 §4.1, §4.3) as idsync reads it. Which of
// its fields hold which account attribute is targets.AttributeTable's
// business (see userFields): a field here is named by its JSON tag.
type user struct {
	ID                scalar         `json:"id"`
	UserName          scalar         `json:"userName"`
	ExternalID        scalar         `json:"externalId"`
	Active            boolean        `json:"active"`
	DisplayName       scalar         `json:"displayName"`
	NickName          scalar         `json:"nickName"`
	Title             scalar         `json:"title"`
	UserType          scalar         `json:"userType"`
	PreferredLanguage scalar         `json:"preferredLanguage"`
	Locale            scalar         `json:"locale"`
	Timezone          scalar         `json:"timezone"`
	ProfileURL        scalar         `json:"profileUrl"`
	Name              userName       `json:"name"`
	Emails            []multiValue   `json:"emails"`
	PhoneNumbers      []multiValue   `json:"phoneNumbers"`
	Enterprise        enterpriseUser `json:"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`
}

// userName is the "name" complex attribute.
type userName struct {
	Formatted       scalar `json:"formatted"`
	GivenName       scalar `json:"givenName"`
	FamilyName      scalar `json:"familyName"`
	MiddleName      scalar `json:"middleName"`
	HonorificPrefix scalar `json:"honorificPrefix"`
	HonorificSuffix scalar `json:"honorificSuffix"`
}

// enterpriseUser is the enterprise User extension (RFC 7643 §4.3).
type enterpriseUser struct {
	EmployeeNumber scalar `json:"employeeNumber"`
	CostCenter     scalar `json:"costCenter"`
	Organization   scalar `json:"organization"`
	Division       scalar `json:"division"`
	Department     scalar `json:"department"`
	Manager        ref    `json:"manager"`
}

// ref is a complex reference to another resource (the enterprise
// manager): idsync reads and writes its value, the other's id.
type ref struct {
	Value scalar `json:"value"`
}

// multiValue is one element of a multi-valued attribute (emails,
// phoneNumbers, members).
type multiValue struct {
	Type  scalar `json:"type"`
	Value scalar `json:"value"`
}

// group is what idsync reads of a SCIM Group (RFC 7643 §4.2).
type group struct {
	ID          scalar       `json:"id"`
	DisplayName scalar       `json:"displayName"`
	Members     []multiValue `json:"members"`
}

// newGroup is the body of a group create.
type newGroup struct {
	Schemas     []string `json:"schemas"`
	DisplayName string   `json:"displayName"`
}

// created is what idsync reads of a create's response.
type created struct {
	ID scalar `json:"id"`
}

func (u *user) id() string  { return string(u.ID) }
func (g *group) id() string { return string(g.ID) }

// typedValue returns the value of the first element whose type is typ,
// compared case-insensitively.
func typedValue(list []multiValue, typ string) scalar {
	for i := range list {
		if strings.EqualFold(string(list[i].Type), typ) {
			return list[i].Value
		}
	}
	return ""
}

// scalar is an attribute value as a string: a JSON string as it is, a
// number or boolean as written ("42", "true"); null, an object or an array
// reads as "" (absent).
type scalar string

// UnmarshalJSON implements json.Unmarshaler.
func (s *scalar) UnmarshalJSON(b []byte) error {
	switch b[0] {
	case '"':
		// encoding/json has checked b. Without escapes and with valid
		// UTF-8 it is the string between the quotes; otherwise let
		// encoding/json unescape it.
		if inner := b[1 : len(b)-1]; bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
			*s = scalar(inner)
			return nil
		}
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = scalar(v)
	case '{', '[', 'n':
		*s = ""
	default: // a number, true or false
		*s = scalar(b)
	}
	return nil
}

// boolean is a boolean attribute: a JSON boolean or, as some servers send
// them, the strings "true"/"false" in any case. null counts as absent;
// anything else is kept in raw for the error message.
type boolean struct {
	set   bool   // present and not null
	valid bool   // a boolean, see value
	value bool   //
	raw   string // what was sent, when it is not a boolean
}

// UnmarshalJSON implements json.Unmarshaler.
func (v *boolean) UnmarshalJSON(b []byte) error {
	var s scalar
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	*v = boolean{set: string(b) != "null"}
	switch {
	case strings.EqualFold(string(s), "true"):
		v.valid, v.value = true, true
	case strings.EqualFold(string(s), "false"):
		v.valid = true
	case b[0] == '"':
		v.raw = string(s)
	default:
		v.raw = string(b)
	}
	return nil
}

// decodeList decodes a list page. A page that is not valid JSON, or whose
// envelope has the wrong shape, is an error; a resource attribute of the
// wrong shape reads as absent.
func decodeList[T any](body []byte) (*listResponse[T], error) {
	var lr *listResponse[T]
	if err := json.Unmarshal(body, &lr); err != nil && !inResource(err, "Resources.") {
		return nil, fmt.Errorf("decode list response: %w", err)
	}
	if lr == nil {
		return nil, errors.New("decode list response: null")
	}
	return lr, nil
}

// decodeResource decodes one resource (the answer to a GET of /Users/id).
func decodeResource[T any](body []byte) (*T, error) {
	var r *T
	if err := json.Unmarshal(body, &r); err != nil && !inResource(err, "") {
		return nil, fmt.Errorf("decode resource: %w", err)
	}
	if r == nil {
		return nil, errors.New("decode resource: null")
	}
	return r, nil
}

// inResource says whether err is a value of the wrong type for an
// attribute of a resource, below prefix: encoding/json then leaves the
// attribute zero (absent) and decodes the rest.
func inResource(err error, prefix string) bool {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return false
	}
	rest, ok := strings.CutPrefix(te.Field, prefix)
	return ok && rest != ""
}
