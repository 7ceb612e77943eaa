package guard_test

import (
	"strings"
	"testing"

	"github.com/sirocco-project/sirocco/internal/guard"
)

// safeNextCases are redirect targets as an attacker would write them,
// with what SafeNext must make of them. The browser test
// (internal/web TestBrowserSafeNext) checks the dangerous ones really
// leave the site in Chromium, and that the answers do not.
var safeNextCases = []struct{ in, want string }{
	{"/actions/1?x=2", "/actions/1?x=2"},
	{"/actions/1#decide", "/actions/1#decide"},
	{"/inbox?q=a b&w=<x>", "/inbox?q=a%20b&w=%3Cx%3E"},
	{"  /workflows \n", "/workflows"},
	{"/executions/\t1", "/executions/1"}, // a browser drops the tab
	{"/workflows\\approve", "/workflows/approve"},
	{"/a?x=\\y", "/a?x=%5Cy"},
	{"/ /evil.example", "/%20/evil.example"}, // a path on this site
	{"/\u3000/evil.example", "/%E3%80%80/evil.example"},
	{"/ｅvil", "/%EF%BD%85vil"},
	{"", "/"},
	{"evil.example", "/"},
	{"//evil.example/", "/"},
	{"https://evil.example/", "/"},
	{"https:evil.example", "/"},
	{"http:/evil.example", "/"},
	{"javascript:alert(1)", "/"},
	{"/\\evil.example", "/"},
	{"\\\\evil.example", "/"},
	{"\\/evil.example", "/"},
	{"/\t/evil.example", "/"},
	{"/\n/evil.example", "/"},
	{"/\r\n/evil.example", "/"},
	{"/\t\\evil.example", "/"},
	{"\t//evil.example", "/"},
	{" //evil.example", "/"},
	{"\x00//evil.example", "/"},
	{"/\x00/evil.example", "/"},
	{"/\u0085/evil.example", "/"},
	{"\x7f/evil.example", "/"},
	{"/%09/evil.example", "/"},
	{"/%0a/evil.example", "/"},
	{"/%2F/evil.example", "/"},
	{"/%2f%2fevil.example", "/"},
	{"/%5Cevil.example", "/"},
	{"/%5c%5cevil.example", "/"},
	{"/.//evil.example", "/"},
	{"/./\\evil.example", "/"},
	{"/a/..//evil.example", "/"},
	{"/%2e%2e//evil.example", "/"},
	{"/.%2E/%2fevil.example", "/"},
	{"/%zz", "/"},
	{"/\xff", "/"},
	{"/login?next=/", "/"},
	{"/login", "/"},
	{"/logout", "/"},
	{"/./login", "/"},
}

func TestSafeNext(t *testing.T) {
	for _, tc := range safeNextCases {
		if got := guard.SafeNext(tc.in); got != tc.want {
			t.Errorf("SafeNext(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzSafeNext: whatever it is given, SafeNext answers a path from the
// root of this site in plain ASCII, which it keeps as it is.
func FuzzSafeNext(f *testing.F) {
	for _, tc := range safeNextCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := guard.SafeNext(in)
		if !strings.HasPrefix(out, "/") || strings.HasPrefix(out, "//") || strings.HasPrefix(out, "/\\") {
			t.Fatalf("SafeNext(%q) = %q: not a path from the root", in, out)
		}
		for i := 0; i < len(out); i++ {
			if out[i] <= ' ' || out[i] >= 0x7f || out[i] == '\\' {
				t.Fatalf("SafeNext(%q) = %q: byte %#x", in, out, out[i])
			}
		}
		if again := guard.SafeNext(out); again != out {
			t.Fatalf("SafeNext(%q) = %q, but SafeNext(%q) = %q", in, out, out, again)
		}
	})
}
