package sambatest

import (
	"fmt"
	"os/exec"
	"path/filepath"
)

// grantScript adds to the DC's database, with Samba's Python bindings (as
// samba-tool dsacl does, which cannot reach CN=Deleted Objects), the two
// access control entries docs/ad.md asks for: "Replicating Directory
// Changes" (DS-Replication-Get-Changes) on the domain root, and List
// Contents + Read Property on CN=Deleted Objects.
const grantScript = `
import sys, ldb
from samba.param import LoadParm
from samba.samdb import SamDB
from samba.auth import system_session
from samba.ndr import ndr_pack, ndr_unpack
from samba.dcerpc import security, misc

conf, who, deleted = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
lp = LoadParm()
lp.load(conf)
db = SamDB(url=lp.samdb_url(), session_info=system_session(), lp=lp)
res = db.search(base=who, scope=ldb.SCOPE_BASE, attrs=["objectSid"])
sid = ndr_unpack(security.dom_sid, res[0]["objectSid"][0])

def grant(dn, ace):
    r = db.search(base=dn, scope=ldb.SCOPE_BASE, attrs=["nTSecurityDescriptor"], controls=["show_deleted:1"])
    sd = ndr_unpack(security.descriptor, r[0]["nTSecurityDescriptor"][0])
    sd.dacl_add(ace)
    m = ldb.Message()
    m.dn = ldb.Dn(db, dn)
    m["nTSecurityDescriptor"] = ldb.MessageElement(ndr_pack(sd), ldb.FLAG_MOD_REPLACE, "nTSecurityDescriptor")
    db.modify(m, controls=["show_deleted:1"])

root = str(db.domain_dn())
ace = security.ace()
ace.type = security.SEC_ACE_TYPE_ACCESS_ALLOWED_OBJECT
ace.access_mask = security.SEC_ADS_CONTROL_ACCESS
ace.object.flags = security.SEC_ACE_OBJECT_TYPE_PRESENT
ace.object.type = misc.GUID("1131f6aa-9c07-11d1-f79f-00c04fc2dcd2")
ace.trustee = sid
grant(root, ace)
if deleted:
    ace = security.ace()
    ace.type = security.SEC_ACE_TYPE_ACCESS_ALLOWED
    ace.access_mask = security.SEC_ADS_LIST | security.SEC_ADS_READ_PROP
    ace.trustee = sid
    grant("CN=Deleted Objects," + root, ace)
`

// PythonPath is the Python that has Samba's bindings (samba-tool's).
var PythonPath = "/usr/bin/python3"

// GrantDirSync gives the account whose DN is who the "Replicating
// Directory Changes" right on the domain root, and, with deleted, List
// Contents and Read Property on CN=Deleted Objects, without which Samba's
// DirSync does not report deletions to that account.
func (s *Server) GrantDirSync(who string, deleted bool) error {
	flag := "0"
	if deleted {
		flag = "1"
	}
	out, err := exec.Command(PythonPath, "-c", grantScript, filepath.Join(s.Dir, "etc", "smb.conf"), who, flag).CombinedOutput()
	if err != nil {
		return fmt.Errorf("sambatest: grant DirSync rights to %s: %w: %s", who, err, out)
	}
	return nil
}
