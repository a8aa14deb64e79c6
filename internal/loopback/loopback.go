// Package loopback tells whether a host name is this machine, the one case
// where idsync accepts plain-text connections and an admin listener
// without a token.
package loopback

import (
	"net"
	"strings"
)

// Host reports whether host is "localhost" (any case) or a loopback IP
// address (127.0.0.0/8, ::1).
func Host(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
