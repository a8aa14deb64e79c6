package ldapsource

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"

	"github.com/go-ldap/ldap/v3"
	"github.com/go-ldap/ldap/v3/gssapi"
	"github.com/jcmturner/gokrb5/v8/client"
)

// Bind methods (the bind_method key).
const (
	// BindSimple binds with bind_dn and bind_password (the default).
	BindSimple = "simple"
	// BindNTLM binds with NTLM as bind_user ("DOMAIN\user" or a UPN) and
	// bind_password.
	BindNTLM = "ntlm"
	// BindKerberos binds with Kerberos (SASL GSSAPI) from a keytab: no
	// password in the configuration.
	BindKerberos = "kerberos"
)

// DefaultKrb5Conf is the Kerberos configuration read when kerberos.krb5_conf
// is empty.
const DefaultKrb5Conf = "/etc/krb5.conf"

// KerberosConfig is the [source.ldap.kerberos] section (bind_method =
// "kerberos").
type KerberosConfig struct {
	// Keytab holds the service account's keys (ktpass on Windows,
	// samba-tool domain exportkeytab, or ktutil). Required.
	Keytab string `toml:"keytab"`
	// Principal is the account, "svc-idsync@CORP.EXAMPLE.COM". Required.
	Principal string `toml:"principal"`
	// Krb5Conf is the Kerberos configuration giving the realm's KDCs;
	// default /etc/krb5.conf.
	Krb5Conf string `toml:"krb5_conf"`
	// SPN is the directory's service principal; default "ldap/HOST" with
	// the host of the URL connected to (use host names, not addresses).
	SPN string `toml:"spn"`
}

// validateBind checks bind_method and the keys it needs.
func (c Config) validateBind(add func(key, format string, args ...any)) {
	switch c.BindMethod {
	case "", BindSimple:
		if c.BindUser != "" {
			add("bind_user", `is for bind_method = "ntlm"; a simple bind uses bind_dn`)
		}
		c.validateSimple(add)
	case BindNTLM:
		if c.BindDN != "" {
			add("bind_dn", `is for a simple bind; bind_method = "ntlm" uses bind_user ("DOMAIN\user")`)
		}
		if c.BindUser == "" {
			add("bind_user", `required with bind_method = "ntlm" ("DOMAIN\user" or user@domain)`)
		}
		if err := c.BindPassword.Validate(); err != nil {
			add("bind_password", "%v", err)
		}
	case BindKerberos:
		if c.BindDN != "" || c.BindUser != "" || !c.BindPassword.IsZero() {
			add("bind_method", `"kerberos" takes its keys from kerberos.keytab: unset bind_dn, bind_user and bind_password`)
		}
		if c.Kerberos.Keytab == "" {
			add("kerberos.keytab", "required with bind_method = \"kerberos\"")
		}
		if user, realm, ok := strings.Cut(c.Kerberos.Principal, "@"); !ok || user == "" || realm == "" {
			add("kerberos.principal", `must be user@REALM, got %q`, c.Kerberos.Principal)
		}
	default:
		add("bind_method", `must be "simple", "ntlm" or "kerberos", got %q`, c.BindMethod)
	}
	if c.BindMethod != BindKerberos && c.Kerberos != (KerberosConfig{}) {
		add("kerberos", `needs bind_method = "kerberos"`)
	}
}

func (c Config) validateSimple(add func(key, format string, args ...any)) {
	if c.BindDN != "" {
		checkDN(add, "bind_dn", c.BindDN)
		if err := c.BindPassword.Validate(); err != nil {
			add("bind_password", "%v", err)
		}
	} else if !c.BindPassword.IsZero() {
		add("bind_password", "set but bind_dn is empty (anonymous bind)")
	}
}

// bind authenticates conn, connected to rawURL, as configured.
func (s *Source) bind(conn *ldap.Conn, rawURL string) error {
	switch s.cfg.BindMethod {
	case BindNTLM:
		domain, user := splitNTLMUser(s.cfg.BindUser)
		if err := conn.NTLMBind(domain, user, s.password.Reveal()); err != nil {
			what := fmt.Sprintf("NTLM bind to %s as %q", rawURL, s.cfg.BindUser)
			if conn.IsClosing() || ldap.IsErrorWithCode(err, ldap.ErrorNetwork) {
				return fmt.Errorf("ldap: %s: %w: the server closed the connection: it does not take Active Directory's "+
					"NTLM (Sicily) bind (Samba does not): use bind_method = \"kerberos\", or a simple bind over TLS: %w",
					what, errBind, err)
			}
			return bindErr(what, err)
		}
	case BindKerberos:
		return s.kerberosBind(conn, rawURL)
	default:
		if s.cfg.BindDN == "" {
			return nil
		}
		if err := conn.Bind(s.cfg.BindDN, s.password.Reveal()); err != nil {
			return bindErr(fmt.Sprintf("bind to %s as %q", rawURL, s.cfg.BindDN), err)
		}
	}
	return nil
}

func (s *Source) kerberosBind(conn *ldap.Conn, rawURL string) error {
	k := s.cfg.Kerberos
	user, realm, _ := strings.Cut(k.Principal, "@")
	krb5 := k.Krb5Conf
	if krb5 == "" {
		krb5 = DefaultKrb5Conf
	}
	if _, err := os.Stat(k.Keytab); err != nil {
		return fmt.Errorf("ldap: kerberos.keytab: %w", err)
	}
	cl, err := gssapi.NewClientWithKeytab(user, realm, k.Keytab, krb5, client.DisablePAFXFAST(true))
	if err != nil {
		return fmt.Errorf("ldap: kerberos: load %s and %s: %w", k.Keytab, krb5, err)
	}
	defer cl.Close()
	spn := k.SPN
	if spn == "" {
		u, err := url.Parse(rawURL)
		if err != nil {
			return fmt.Errorf("ldap: url: %w", err)
		}
		spn = "ldap/" + u.Hostname()
	}
	if err := conn.GSSAPIBind(cl, spn, ""); err != nil {
		what := fmt.Sprintf("Kerberos bind to %s as %s (service %s)", rawURL, k.Principal, spn)
		if hint := kerberosHint(err); hint != "" {
			return fmt.Errorf("ldap: %s: %w: %s: %w", what, errBind, hint, err)
		}
		return bindErr(what, err)
	}
	return nil
}

// kerberosHint says what to change for the Kerberos errors a
// configuration causes; "" for the others.
func kerberosHint(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "KDC_ERR_S_PRINCIPAL_UNKNOWN"):
		return "the KDC knows no such service: set kerberos.spn to a service principal of the DC " +
			"(ldap/dc1.corp.example.com on AD; Samba's KDC also answers HOST/dc1.corp.example.com), " +
			"and connect by host name, not address"
	case strings.Contains(msg, "KDC_ERR_C_PRINCIPAL_UNKNOWN"):
		return "the KDC knows no such account: check kerberos.principal"
	case strings.Contains(msg, "KDC_ERR_PREAUTH_FAILED"), strings.Contains(msg, "Decrypting_Error"):
		return "the keytab's keys do not match the account (password changed since it was exported?): export it again"
	case strings.Contains(msg, "KDC_ERR_CLIENT_REVOKED"):
		return "the account is disabled, expired or locked out"
	case strings.Contains(msg, "Networking_Error"):
		return "no KDC of the realm could be reached: check the realm's kdc entries in kerberos.krb5_conf"
	}
	return ""
}

// splitNTLMUser splits "DOMAIN\user" into its parts; a UPN or a bare user
// name has no domain part.
func splitNTLMUser(s string) (domain, user string) {
	if d, u, ok := strings.Cut(s, `\`); ok {
		return d, u
	}
	return "", s
}

// adBindData matches the code in an AD bind error's diagnostic message:
// "80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error,
// data 52e, v4563".
var adBindData = regexp.MustCompile(`\bdata ([0-9a-fA-F]{3,8})\b`)

// adBindReasons explain the codes of adBindData (MS-ERREF Win32 codes).
var adBindReasons = map[string]string{
	"525": "the account does not exist",
	"52e": "wrong user name or password",
	"530": "the account may not log on at this time (logon hours)",
	"531": "the account may not log on from this workstation",
	"532": "the account's password has expired",
	"533": "the account is disabled",
	"568": "the account's security context has too many groups",
	"701": "the account has expired (accountExpires)",
	"773": "the account must change its password before it can log on",
	"775": "the account is locked out",
}

// errBind is wrapped by every error bindErr returns.
var errBind = errors.New("bind refused")

// bindErr explains a failed bind: what to change for a bind AD refuses for
// lack of signing or TLS, for bad credentials (with AD's reason: disabled,
// locked out, expired password), or a DC that cannot be reached.
func bindErr(what string, err error) error {
	var lerr *ldap.Error
	if !errors.As(err, &lerr) {
		return fmt.Errorf("ldap: %s: %w", what, err)
	}
	switch lerr.ResultCode {
	case ldap.LDAPResultStrongAuthRequired, ldap.LDAPResultConfidentialityRequired:
		return fmt.Errorf("ldap: %s: %w: the server requires a signed or encrypted connection for this bind "+
			"(AD: \"LDAP server signing requirements\"; Samba: ldap server require strong auth): "+
			"use ldaps:// or start_tls = true: %w", what, errBind, err)
	case ldap.LDAPResultInvalidCredentials:
		reason := "wrong user name or password"
		if m := adBindData.FindStringSubmatch(lerr.Err.Error()); m != nil {
			if r, ok := adBindReasons[strings.ToLower(m[1])]; ok {
				reason = r
			}
		}
		return fmt.Errorf("ldap: %s: %w: %s: %w", what, errBind, reason, err)
	case ldap.LDAPResultInappropriateAuthentication:
		return fmt.Errorf("ldap: %s: %w: the server does not accept this kind of bind for the account "+
			"(an empty password, or anonymous binds are off): %w", what, errBind, err)
	}
	return fmt.Errorf("ldap: %s: %w", what, err)
}
