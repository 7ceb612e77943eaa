package main

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
)

// trustProxies makes e believe X-Forwarded-For (Context.RealIP, and so
// guard.ClientAddr) and X-Forwarded-Proto (Context.Scheme) only when the
// connection comes from one of nets. Echo's own defaults would believe
// any loopback or private address; none is trusted unless listed.
func trustProxies(e *echo.Echo, nets []*net.IPNet) {
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range nets {
		opts = append(opts, echo.TrustIPRange(n))
	}
	// The client is the nearest address, reading X-Forwarded-For from the
	// right, that is not a trusted proxy: the ones further left were sent
	// by whoever made the request.
	e.IPExtractor = echo.ExtractIPFromXFFHeader(opts...)
	e.SchemeExtractor = echo.ExtractSchemeFromHeaders(opts...)
}

// parseTrustedProxies reads -trusted-proxies: comma-separated CIDR ranges;
// a lone address stands for itself.
func parseTrustedProxies(list string) ([]*net.IPNet, error) {
	var nets []*net.IPNet
	for part := range strings.SplitSeq(list, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if _, n, err := net.ParseCIDR(part); err == nil {
			nets = append(nets, n)
			continue
		}
		ip := net.ParseIP(part)
		if ip == nil {
			return nil, usageError{fmt.Sprintf("invalid -trusted-proxies %q: %q is neither a CIDR range (e.g. 10.0.0.0/8) nor an IP address", list, part)}
		}
		bits := 128
		if ip4 := ip.To4(); ip4 != nil {
			ip, bits = ip4, 32
		}
		nets = append(nets, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
	}
	return nets, nil
}

// checkBaseURL checks -base-url: an absolute http or https URL, and given
// whenever the listen address is not loopback. The API's documents (the
// version documents, list pages, the Keystone catalog) link to it rather
// than to the Host header, which whoever sends the request chooses.
func checkBaseURL(base, addr string) error {
	if base == "" {
		if host, _, err := net.SplitHostPort(addr); err == nil && !loopbackHost(host) {
			return usageError{baseURLRequired(addr)}
		}
		return nil // a malformed -addr is for net.Listen to report
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return usageError{fmt.Sprintf("invalid -base-url %q: want an absolute http:// or https:// URL such as https://sirocco.example.com, without credentials, query or fragment", base)}
	}
	return nil
}

func baseURLRequired(addr string) string {
	return fmt.Sprintf("-base-url is required when the listen address (%s) is not a loopback address: "+
		"the API's documents and the callbacks web services receive link to it (e.g. -base-url https://sirocco.example.com)", addr)
}

// loopbackHost reports whether the host of -addr listens on this machine
// only.
func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
