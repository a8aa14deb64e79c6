package scim

import "net/http"

// WrapTransport wraps the client's HTTP transport with wrap, which gets
// the transport New built (with the TLS settings of the Config) and
// returns the one to use; it must pass every request on to the transport
// it was given. It is meant to observe the requests, e.g. count and time
// them (admin.Metrics.RoundTripper): the pacing and retries sit above the
// transport, so wrap sees every attempt, each retry as a request of its
// own. Call it before the client sends its first request: it is not safe
// to call concurrently with requests.
func (c *Client) WrapTransport(wrap func(http.RoundTripper) http.RoundTripper) {
	if wrap == nil {
		return
	}
	if t := wrap(c.http.Transport); t != nil {
		c.http.Transport = t
	}
}
