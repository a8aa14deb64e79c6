package scim

import (
	"fmt"
	"strings"
	"testing"
)

// Typed SCIM resources, decoded from list pages in one pass with
// jsonReader: no generic maps, no copy of a resource's JSON. Attribute
// names are matched case-insensitively (RFC 7643 §2.1), as strings.ToLower
// sees them; attributes idsync does not read are skipped. An attribute
// with an unexpected JSON shape (a string for "name", an object for
// "emails", an array for "title") reads as absent, as it did when pages
// were decoded into generic maps. A page that is not valid JSON, or whose
// envelope has the wrong shape, is an error.

// listPage is a SCIM ListResponse (RFC 7644 §3.4.2) of T, which is
// userResource or groupResource.
type listPage[T any] struct {
	TotalResults int
	Resources    []T
	// arena holds the bytes of the resources' strings (see jsonReader): they
	// are valid until the page is decoded again, which listAll does only
	// once fn has seen the page. Whatever outlives the page is copied
	// (accountFromResource and ListGroups pack their strings).
	arena []byte
}

// poisonReused makes tests fail loudly when anything keeps a string of a
// list page past its use: in a test binary a released arena is
// overwritten.
var poisonReused = testing.Testing()

// release is called once nothing reads the page's strings any more.
func (p *listPage[T]) release() {
	if poisonReused {
		for i := range p.arena {
			p.arena[i] = '#'
		}
	}
}

// resourceDecoder is implemented by *userResource and *groupResource.
type resourceDecoder interface {
	// decode reads one resource object from r into the receiver,
	// overwriting all of it; its slices keep their backing arrays.
	decode(r *jsonReader)
}

var (
	_ resourceDecoder = (*userResource)(nil)
	_ resourceDecoder = (*groupResource)(nil)
)

// decodeBody decodes a response body into p, reusing the capacity of
// p.Resources, which must hold nothing the caller still reads.
func (p *listPage[T]) decodeBody(b []byte) error {
	p.release()
	res, arena := p.Resources[:0], p.arena[:0]
	if cap(arena) < len(b)/2 {
		// Strings are about half of a page's bytes: one allocation,
		// rather than growing (and leaving copies behind) string by string.
		arena = make([]byte, 0, len(b)/2)
	}
	*p = listPage[T]{arena: arena}
	r := &jsonReader{data: b, arena: &p.arena}
	if !r.enter('{') {
		r.fail("looking for beginning of a SCIM ListResponse object")
		return r.err
	}
	var buf [64]byte
	for n := 0; r.more('}', &n); {
		k, ok := lowerKey(&buf, r.key())
		switch {
		case !ok:
			r.skip()
		case string(k) == "totalresults":
			r.integer(&p.TotalResults, "totalResults")
		case string(k) == "resources":
			p.Resources = decodeResources(r, res)
		default:
			r.skip()
		}
	}
	return r.end()
}

// decodeResources reads the Resources array into res[:0], reusing the
// elements' memory. It returns nil for null.
func decodeResources[T any](r *jsonReader, res []T) []T {
	res = res[:0]
	switch r.peek() {
	case 'n':
		r.literal()
		return nil
	case '[':
	default:
		if r.err == nil {
			start := r.pos
			r.skip()
			r.err = fmt.Errorf("Resources at offset %d is not an array", start)
		}
		return res
	}
	r.enter('[')
	for n := 0; r.more(']', &n); {
		switch r.peek() {
		case '{':
		case 'n': // an element without attributes, which has no id
			r.literal()
			var zero T
			res = append(res, zero)
			continue
		default:
			if r.err == nil {
				r.err = fmt.Errorf("resource %d of the page (at offset %d) is not an object", n, r.pos)
			}
			return res
		}
		if len(res) < cap(res) {
			res = res[:len(res)+1]
		} else {
			var zero T
			res = append(res, zero)
		}
		any(&res[len(res)-1]).(resourceDecoder).decode(r)
	}
	return res
}

// userResource holds the attributes of a SCIM User (RFC 7643 §4.1, §4.3)
// that idsync maps; see userGetters.
type userResource struct {
	ID                jsonScalar
	UserName          jsonScalar
	ExternalID        jsonScalar
	Active            jsonBool
	DisplayName       jsonScalar
	NickName          jsonScalar
	Title             jsonScalar
	UserType          jsonScalar
	PreferredLanguage jsonScalar
	Locale            jsonScalar
	Timezone          jsonScalar
	ProfileURL        jsonScalar
	Name              userName
	Emails            []multiValue
	PhoneNumbers      []multiValue
	Enterprise        enterpriseUser // the extension schemaEnterprise
}

// userName is the "name" complex attribute.
type userName struct {
	Formatted, GivenName, FamilyName, MiddleName, HonorificPrefix, HonorificSuffix jsonScalar
}

// enterpriseUser is the enterprise User extension (RFC 7643 §4.3).
type enterpriseUser struct {
	EmployeeNumber, CostCenter, Organization, Division, Department jsonScalar
}

// multiValue is one element of a multi-valued attribute (emails,
// phoneNumbers).
type multiValue struct {
	Type  jsonScalar
	Value jsonScalar
}

// groupResource holds what idsync reads of a SCIM Group (RFC 7643 §4.2).
type groupResource struct {
	ID          jsonScalar
	DisplayName jsonScalar
	Members     []jsonScalar // members[].value
}

func (u *userResource) id() string  { return string(u.ID) }
func (g *groupResource) id() string { return string(g.ID) }

// userGetters reads every account path a SCIM User can hold, by path.
// TestUserGettersCoverMapping checks it against lookupAttr.
var userGetters = map[string]func(*userResource) jsonScalar{
	"displayName":          func(u *userResource) jsonScalar { return u.DisplayName },
	"nickName":             func(u *userResource) jsonScalar { return u.NickName },
	"title":                func(u *userResource) jsonScalar { return u.Title },
	"userType":             func(u *userResource) jsonScalar { return u.UserType },
	"preferredLanguage":    func(u *userResource) jsonScalar { return u.PreferredLanguage },
	"locale":               func(u *userResource) jsonScalar { return u.Locale },
	"timezone":             func(u *userResource) jsonScalar { return u.Timezone },
	"profileUrl":           func(u *userResource) jsonScalar { return u.ProfileURL },
	"name.formatted":       func(u *userResource) jsonScalar { return u.Name.Formatted },
	"name.givenName":       func(u *userResource) jsonScalar { return u.Name.GivenName },
	"name.familyName":      func(u *userResource) jsonScalar { return u.Name.FamilyName },
	"name.middleName":      func(u *userResource) jsonScalar { return u.Name.MiddleName },
	"name.honorificPrefix": func(u *userResource) jsonScalar { return u.Name.HonorificPrefix },
	"name.honorificSuffix": func(u *userResource) jsonScalar { return u.Name.HonorificSuffix },
	"employeeNumber":       func(u *userResource) jsonScalar { return u.Enterprise.EmployeeNumber },
	"costCenter":           func(u *userResource) jsonScalar { return u.Enterprise.CostCenter },
	"organization":         func(u *userResource) jsonScalar { return u.Enterprise.Organization },
	"division":             func(u *userResource) jsonScalar { return u.Enterprise.Division },
	"department":           func(u *userResource) jsonScalar { return u.Enterprise.Department },
	"emails.work":          func(u *userResource) jsonScalar { return typedValueOf(u.Emails, "work") },
	"emails.home":          func(u *userResource) jsonScalar { return typedValueOf(u.Emails, "home") },
	"emails.other":         func(u *userResource) jsonScalar { return typedValueOf(u.Emails, "other") },
	"phoneNumbers.work":    func(u *userResource) jsonScalar { return typedValueOf(u.PhoneNumbers, "work") },
	"phoneNumbers.mobile":  func(u *userResource) jsonScalar { return typedValueOf(u.PhoneNumbers, "mobile") },
}

// typedValueOf returns the value of the first element whose type is typ
// (case-insensitively).
func typedValueOf(list []multiValue, typ string) jsonScalar {
	for i := range list {
		if strings.EqualFold(string(list[i].Type), typ) {
			return list[i].Value
		}
	}
	return ""
}

// jsonScalar is an attribute value as a string: a JSON string as it is, a
// number or boolean as written ("42", "true"); null, an object or an array
// reads as "" (absent).
type jsonScalar string

// jsonBool is a boolean attribute: a JSON boolean or, as some servers send
// them, the strings "true"/"false" in any case. null counts as absent.
type jsonBool struct {
	set   bool   // present and not null
	valid bool   // a boolean, see value; otherwise raw says what it was
	value bool   //
	raw   string // what was sent, for the error message
}

// decode reads a User object. Emails and PhoneNumbers keep their backing
// arrays from the resource this memory held before.
func (u *userResource) decode(r *jsonReader) {
	*u = userResource{Emails: u.Emails[:0], PhoneNumbers: u.PhoneNumbers[:0]}
	var buf [64]byte
	r.enter('{')
	for n := 0; r.more('}', &n); {
		k, ok := lowerKey(&buf, r.key())
		if !ok {
			r.skip()
			continue
		}
		switch string(k) {
		case "id":
			u.ID = r.scalar()
		case "username":
			u.UserName = r.scalar()
		case "externalid":
			u.ExternalID = r.scalar()
		case "active":
			u.Active = r.boolean()
		case "displayname":
			u.DisplayName = r.scalar()
		case "nickname":
			u.NickName = r.scalar()
		case "title":
			u.Title = r.scalar()
		case "usertype":
			u.UserType = r.scalar()
		case "preferredlanguage":
			u.PreferredLanguage = r.scalar()
		case "locale":
			u.Locale = r.scalar()
		case "timezone":
			u.Timezone = r.scalar()
		case "profileurl":
			u.ProfileURL = r.scalar()
		case "name":
			u.decodeName(r)
		case "emails":
			u.Emails = decodeMulti(r, u.Emails)
		case "phonenumbers":
			u.PhoneNumbers = decodeMulti(r, u.PhoneNumbers)
		case lowerEnterprise:
			u.decodeEnterprise(r)
		default:
			r.skip()
		}
	}
}

var lowerEnterprise = strings.ToLower(schemaEnterprise)

// decodeName reads the "name" complex attribute; anything but an object
// reads as no name. A later "name" replaces an earlier one.
func (u *userResource) decodeName(r *jsonReader) {
	n := &u.Name
	*n = userName{}
	if r.peek() != '{' {
		r.skip()
		return
	}
	var buf [64]byte
	r.enter('{')
	for i := 0; r.more('}', &i); {
		k, ok := lowerKey(&buf, r.key())
		if !ok {
			r.skip()
			continue
		}
		switch string(k) {
		case "formatted":
			n.Formatted = r.scalar()
		case "givenname":
			n.GivenName = r.scalar()
		case "familyname":
			n.FamilyName = r.scalar()
		case "middlename":
			n.MiddleName = r.scalar()
		case "honorificprefix":
			n.HonorificPrefix = r.scalar()
		case "honorificsuffix":
			n.HonorificSuffix = r.scalar()
		default:
			r.skip()
		}
	}
}

// decodeEnterprise reads the enterprise extension object; anything but
// an object reads as no extension. A later one replaces an earlier one.
func (u *userResource) decodeEnterprise(r *jsonReader) {
	e := &u.Enterprise
	*e = enterpriseUser{}
	if r.peek() != '{' {
		r.skip()
		return
	}
	var buf [64]byte
	r.enter('{')
	for i := 0; r.more('}', &i); {
		k, ok := lowerKey(&buf, r.key())
		if !ok {
			r.skip()
			continue
		}
		switch string(k) {
		case "employeenumber":
			e.EmployeeNumber = r.scalar()
		case "costcenter":
			e.CostCenter = r.scalar()
		case "organization":
			e.Organization = r.scalar()
		case "division":
			e.Division = r.scalar()
		case "department":
			e.Department = r.scalar()
		default:
			r.skip()
		}
	}
}

// decodeMulti reads a multi-valued attribute's type and value per element
// into list[:0]; elements that are not objects are left out. Anything but
// an array reads as no values.
func decodeMulti(r *jsonReader, list []multiValue) []multiValue {
	return eachObject(r, list[:0], multiKeys, func(r *jsonReader, v *multiValue, key int) {
		if key == 0 {
			v.Type = r.scalar()
		} else {
			v.Value = r.scalar()
		}
	})
}

var (
	multiKeys  = []string{"type", "value"}
	memberKeys = []string{"value"}
)

// eachObject reads an array of objects, appending one element to list per
// object. For each member whose lower-cased key is keys[i], field reads the
// value into the element being filled; other members are skipped. Elements
// that are not objects are left out; anything but an array reads as an
// empty one. field is a plain function and the element lives in list, so
// decoding a page allocates nothing per element.
func eachObject[T any](r *jsonReader, list []T, keys []string, field func(r *jsonReader, v *T, key int)) []T {
	if r.peek() != '[' {
		r.skip()
		return list
	}
	var buf [64]byte
	var zero T
	r.enter('[')
	for n := 0; r.more(']', &n); {
		if r.peek() != '{' {
			r.skip()
			continue
		}
		list = append(list, zero)
		v := &list[len(list)-1]
		r.enter('{')
		for i := 0; r.more('}', &i); {
			k, ok := lowerKey(&buf, r.key())
			idx := -1
			for i, want := range keys {
				if ok && string(k) == want {
					idx = i
					break
				}
			}
			if idx < 0 {
				r.skip()
				continue
			}
			field(r, v, idx)
		}
	}
	return list
}

// decode reads a Group object.
func (g *groupResource) decode(r *jsonReader) {
	*g = groupResource{Members: g.Members[:0]}
	var buf [64]byte
	r.enter('{')
	for n := 0; r.more('}', &n); {
		k, ok := lowerKey(&buf, r.key())
		if !ok {
			r.skip()
			continue
		}
		switch string(k) {
		case "id":
			g.ID = r.scalar()
		case "displayname":
			g.DisplayName = r.scalar()
		case "members":
			g.Members = decodeMembers(r, g.Members)
		default:
			r.skip()
		}
	}
}

// decodeMembers reads members[].value into list[:0]; elements that are
// not objects are left out, anything but an array reads as no members.
func decodeMembers(r *jsonReader, list []jsonScalar) []jsonScalar {
	return eachObject(r, list[:0], memberKeys, func(r *jsonReader, v *jsonScalar, _ int) {
		*v = r.scalar()
	})
}
