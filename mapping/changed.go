package mapping

import "time"

// ChangeAttributes are the attributes that say when the directory last
// changed an entry: OpenLDAP's and most servers' operational
// modifyTimestamp, Active Directory's whenChanged. A source requests them
// with the entry's other attributes.
var ChangeAttributes = []string{"modifyTimestamp", "whenChanged"}

// ChangeTime returns when the directory last changed e, from the first of
// ChangeAttributes it holds as a GeneralizedTime (20261201093000Z,
// 20261201093000.0Z, 20261201093000+0100); zero when it holds none that
// parses.
func ChangeTime(e *Entry) time.Time {
	for _, name := range ChangeAttributes {
		if v := e.First(name); v != "" {
			if t, err := generalizedTime(v); err == nil {
				return t.UTC()
			}
		}
	}
	return time.Time{}
}
