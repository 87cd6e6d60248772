package httpx

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ClientIP resolves the address of the client that sent a request. X-Forwarded-For is
// believed only when the direct peer is a configured trusted proxy; then the right-most
// address that is not itself a trusted proxy is the client.
type ClientIP struct {
	trusted []netip.Prefix
}

// NewClientIP builds a resolver trusting the given IPs and CIDRs (already validated).
func NewClientIP(trusted []string) *ClientIP {
	c := &ClientIP{}
	for _, t := range trusted {
		if p, err := netip.ParsePrefix(t); err == nil {
			c.trusted = append(c.trusted, p.Masked())
		} else if a, err := netip.ParseAddr(t); err == nil {
			c.trusted = append(c.trusted, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return c
}

func (c *ClientIP) isTrusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range c.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// IP returns the client's address as text.
func (c *ClientIP) IP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	peer = peer.Unmap()
	if !c.isTrusted(peer) {
		return peer.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if !c.isTrusted(a) {
			return a.Unmap().String()
		}
		peer = a.Unmap()
	}
	return peer.String()
}
