package sambatest

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/go-ldap/ldap/v3"
)

// Containers of the seeded organisation.
const (
	CorpDN     = "OU=Corp," + BaseDN
	PeopleDN   = "OU=People," + CorpDN
	GroupsDN   = "OU=Groups," + CorpDN
	ServiceDN  = "OU=Service," + CorpDN
	BackendDN  = "OU=Backend,OU=Engineering," + PeopleDN
	FrontendDN = "OU=Frontend,OU=Engineering," + PeopleDN
	EMEADN     = "OU=EMEA,OU=Sales," + PeopleDN
	AmericasDN = "OU=Americas,OU=Sales," + PeopleDN
)

// The service account idsync binds as in tests, and its password.
const (
	ServiceUser     = "svc-idsync"
	ServiceUPN      = ServiceUser + "@" + DNSDomain
	ServiceDNValue  = "CN=" + ServiceUser + "," + ServiceDN
	ServicePassword = "Svc-Passw0rd!"
)

// Seed sizes and names.
const (
	// Staff is the number of ordinary people (user001 ... user300),
	// spread over the four leaf OUs in turn.
	Staff = 300
	// BigGroup has every ordinary person as a direct member: more than a
	// ranged-retrieval size of 100 asked for explicitly.
	BigGroup = "Big Group"
	// PrimaryGroup is the primary group (primaryGroupID) of user001-user005
	// instead of Domain Users.
	PrimaryGroup = "Contractors"
)

// Special is one seeded person in a particular account state.
type Special struct {
	// SAM is the sAMAccountName; CN the RDN value (unescaped).
	SAM, CN string
	// UAC is the userAccountControl given at creation.
	UAC int
	// AccountExpires is the accountExpires value given ("" for none).
	AccountExpires string
	// Password is set for accounts created enabled without PASSWD_NOTREQD.
	Password string
}

// FileTime returns t as an AD FILETIME (100 ns intervals since 1601-01-01
// UTC) in decimal.
func FileTime(t time.Time) string {
	const epoch = 116444736000000000
	return strconv.FormatInt(t.UnixNano()/100+epoch, 10)
}

// Expired and Expires are the past and future accountExpires dates of the
// seed.
var (
	Expired = time.Date(2020, 1, 31, 0, 0, 0, 0, time.UTC)
	Expires = time.Date(2099, 6, 30, 0, 0, 0, 0, time.UTC)
)

// Specials are the people in the account states a reader must tell apart,
// in OU=Staff-States under PeopleDN, and the ones whose names need DN
// escaping or are not ASCII.
var Specials = []Special{
	{SAM: "uac.normal", CN: "Normal Account", UAC: 512, Password: "Us3r-Passw0rd!"},
	{SAM: "uac.514", CN: "Disabled Account", UAC: 514, Password: "Us3r-Passw0rd!"},
	{SAM: "uac.546", CN: "Disabled NoPwd", UAC: 546},
	{SAM: "uac.66048", CN: "Dont Expire Pwd", UAC: 66048, Password: "Us3r-Passw0rd!"},
	{SAM: "uac.66050", CN: "Disabled Dont Expire", UAC: 66050, Password: "Us3r-Passw0rd!"},
	{SAM: "uac.544", CN: "No Pwd Required", UAC: 544},
	{SAM: "exp.past", CN: "Expired Contract", UAC: 544, AccountExpires: FileTime(Expired)},
	{SAM: "exp.future", CN: "Future Contract", UAC: 544, AccountExpires: FileTime(Expires)},
	{SAM: "exp.zero", CN: "Expires Zero", UAC: 544, AccountExpires: "0"},
	{SAM: "exp.max", CN: "Expires Max", UAC: 544, AccountExpires: "9223372036854775807"},
	{SAM: "exp.both", CN: "Disabled And Expired", UAC: 546, AccountExpires: FileTime(Expired)},
	{SAM: "name.comma", CN: "Doe, John", UAC: 544},
	{SAM: "name.plus", CN: "Smith + Wesson", UAC: 544},
	{SAM: "name.hash", CN: "#1 Fan", UAC: 544},
	{SAM: "name.quote", CN: `Quote "Q" <Lt>; Semi`, UAC: 544},
	{SAM: "name.umlaut", CN: "Jürgen Müller-Ørsted", UAC: 544},
	{SAM: "name.cjk", CN: "李雷", UAC: 544},
	{SAM: "name.bslash", CN: `Back\Slash`, UAC: 544},
}

// StatesDN is where the Specials are.
const StatesDN = "OU=States," + PeopleDN

// SeedInfo summarises the seeded organisation.
type SeedInfo struct {
	// People is the number of people seeded under PeopleDN (Staff plus
	// Specials).
	People int
}

// Groups of the seed, by CN, with their groupType and members (CNs of
// groups, or "users:DN" for every ordinary person under DN, or "sam:X").
type seedGroup struct {
	cn        string
	groupType int32
	members   []string
}

// groupType values (MS-ADTS 2.2.12): scope bits and the security bit.
const (
	gtGlobal      = 0x2
	gtDomainLocal = 0x4
	gtUniversal   = 0x8
	gtSecurity    = -0x80000000
)

var seedGroups = []seedGroup{
	{"Backend", gtGlobal | gtSecurity, []string{"users:" + BackendDN}},
	{"Frontend", gtGlobal | gtSecurity, []string{"users:" + FrontendDN}},
	{"Engineering", gtGlobal | gtSecurity, []string{"Backend", "Frontend", "sam:uac.normal"}},
	{"Sales", gtGlobal | gtSecurity, []string{"users:" + EMEADN, "users:" + AmericasDN}},
	{"All Staff", gtUniversal | gtSecurity, []string{"Engineering", "Sales"}},
	{"Cycle A", gtGlobal | gtSecurity, []string{"sam:name.comma"}},
	{"Cycle B", gtGlobal | gtSecurity, []string{"Cycle A", "sam:name.plus"}},
	{BigGroup, gtGlobal | gtSecurity, []string{"users:" + PeopleDN}},
	{"Local Admins", gtDomainLocal | gtSecurity, []string{"sam:uac.normal"}},
	{"Newsletter", gtGlobal, []string{"sam:name.umlaut", "sam:name.cjk"}},
	{"R&D, Europe", gtUniversal | gtSecurity, []string{"sam:name.hash"}},
	{PrimaryGroup, gtGlobal | gtSecurity, []string{"sam:user001", "sam:user002", "sam:user003", "sam:user004", "sam:user005"}},
}

// EscapeRDN escapes an RDN value (RFC 4514 section 2.4).
func EscapeRDN(v string) string {
	var b strings.Builder
	for i, r := range v {
		switch {
		case strings.ContainsRune(`,+"\<>;=`, r),
			i == 0 && (r == '#' || r == ' '),
			i == len(v)-1 && r == ' ':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// UserDN returns the DN of the person with that cn under ou.
func UserDN(cn, ou string) string { return "CN=" + EscapeRDN(cn) + "," + ou }

// GroupDN returns the DN of the seeded group cn.
func GroupDN(cn string) string { return "CN=" + EscapeRDN(cn) + "," + GroupsDN }

// StaffOU returns the OU of ordinary person n (1-based).
func StaffOU(n int) string {
	return []string{BackendDN, FrontendDN, EMEADN, AmericasDN}[(n-1)%4]
}

// StaffCN and StaffSAM name ordinary person n.
func StaffCN(n int) string  { return fmt.Sprintf("Person %03d", n) }
func StaffSAM(n int) string { return fmt.Sprintf("user%03d", n) }

// unicodePwd encodes a password as AD wants it: the quoted password in
// UTF-16LE.
func unicodePwd(pw string) string {
	u := utf16.Encode([]rune(`"` + pw + `"`))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		b[2*i], b[2*i+1] = byte(c), byte(c>>8)
	}
	return string(b)
}

// seed adds the organisation over c (bound as the Administrator).
func seed(c *ldap.Conn) (*SeedInfo, error) {
	for _, ou := range []string{CorpDN, PeopleDN, "OU=Engineering," + PeopleDN, BackendDN, FrontendDN,
		"OU=Sales," + PeopleDN, EMEADN, AmericasDN, StatesDN, GroupsDN, ServiceDN} {
		req := ldap.NewAddRequest(ou, nil)
		req.Attribute("objectClass", []string{"organizationalUnit"})
		if err := c.Add(req); err != nil {
			return nil, fmt.Errorf("sambatest: add %s: %w", ou, err)
		}
	}
	dns := map[string]string{} // sAMAccountName -> DN
	add := func(sam, cn, ou string, uac int, expires, pw string, extra map[string]string) error {
		dn := UserDN(cn, ou)
		req := ldap.NewAddRequest(dn, nil)
		req.Attribute("objectClass", []string{"user"})
		req.Attribute("sAMAccountName", []string{sam})
		req.Attribute("userPrincipalName", []string{sam + "@" + DNSDomain})
		req.Attribute("userAccountControl", []string{strconv.Itoa(uac)})
		if expires != "" {
			req.Attribute("accountExpires", []string{expires})
		}
		if pw != "" {
			req.Attribute("unicodePwd", []string{unicodePwd(pw)})
		}
		for k, v := range extra {
			req.Attribute(k, []string{v})
		}
		if err := c.Add(req); err != nil {
			return fmt.Errorf("sambatest: add %s: %w", dn, err)
		}
		dns[sam] = dn
		return nil
	}
	if err := add(ServiceUser, ServiceUser, ServiceDN, 66048, "", ServicePassword, nil); err != nil {
		return nil, err
	}
	for n := 1; n <= Staff; n++ {
		sam := StaffSAM(n)
		extra := map[string]string{"givenName": "Person", "sn": fmt.Sprintf("%03d", n),
			"displayName": StaffCN(n), "mail": sam + "@" + DNSDomain, "title": []string{"Engineer", "Manager", "Analyst"}[n%3]}
		if err := add(sam, StaffCN(n), StaffOU(n), 544, "", "", extra); err != nil {
			return nil, err
		}
	}
	for _, sp := range Specials {
		if err := add(sp.SAM, sp.CN, StatesDN, sp.UAC, sp.AccountExpires, sp.Password,
			map[string]string{"mail": sp.SAM + "@" + DNSDomain}); err != nil {
			return nil, err
		}
	}
	if err := seedGroupsOver(c, dns); err != nil {
		return nil, err
	}
	return &SeedInfo{People: Staff + len(Specials)}, nil
}

func seedGroupsOver(c *ldap.Conn, dns map[string]string) error {
	for _, g := range seedGroups {
		req := ldap.NewAddRequest(GroupDN(g.cn), nil)
		req.Attribute("objectClass", []string{"group"})
		req.Attribute("sAMAccountName", []string{strings.NewReplacer(",", "", "&", "and").Replace(g.cn)})
		req.Attribute("groupType", []string{strconv.Itoa(int(g.groupType))})
		var members []string
		for _, m := range g.members {
			switch {
			case strings.HasPrefix(m, "users:"):
				ou := strings.ToLower(strings.TrimPrefix(m, "users:"))
				for n := 1; n <= Staff; n++ {
					if strings.HasSuffix(strings.ToLower(StaffOU(n)), ou) {
						members = append(members, UserDN(StaffCN(n), StaffOU(n)))
					}
				}
			case strings.HasPrefix(m, "sam:"):
				members = append(members, dns[strings.TrimPrefix(m, "sam:")])
			default:
				members = append(members, GroupDN(m))
			}
		}
		if len(members) > 0 {
			req.Attribute("member", members)
		}
		if err := c.Add(req); err != nil {
			return fmt.Errorf("sambatest: add group %s: %w", g.cn, err)
		}
	}
	// Close the cycle: Cycle A gets Cycle B as a member.
	mod := ldap.NewModifyRequest(GroupDN("Cycle A"), nil)
	mod.Add("member", []string{GroupDN("Cycle B")})
	if err := c.Modify(mod); err != nil {
		return fmt.Errorf("sambatest: close the group cycle: %w", err)
	}
	return setPrimaryGroup(c, dns)
}

// setPrimaryGroup makes PrimaryGroup the primary group of its members:
// primaryGroupID is the group's RID, the last part of its objectSid.
func setPrimaryGroup(c *ldap.Conn, dns map[string]string) error {
	res, err := c.Search(ldap.NewSearchRequest(GroupDN(PrimaryGroup), ldap.ScopeBaseObject, ldap.NeverDerefAliases,
		0, 0, false, "(objectClass=*)", []string{"objectSid"}, nil))
	if err != nil || len(res.Entries) != 1 {
		return fmt.Errorf("sambatest: read %s: %v", PrimaryGroup, err)
	}
	sid := res.Entries[0].GetRawAttributeValue("objectSid")
	if len(sid) < 4 {
		return fmt.Errorf("sambatest: %s has no objectSid", PrimaryGroup)
	}
	rid := uint32(sid[len(sid)-4]) | uint32(sid[len(sid)-3])<<8 | uint32(sid[len(sid)-2])<<16 | uint32(sid[len(sid)-1])<<24
	for n := 1; n <= 5; n++ {
		mod := ldap.NewModifyRequest(dns[StaffSAM(n)], nil)
		mod.Replace("primaryGroupID", []string{strconv.Itoa(int(rid))})
		if err := c.Modify(mod); err != nil {
			return fmt.Errorf("sambatest: primaryGroupID of %s: %w", StaffSAM(n), err)
		}
	}
	return nil
}
