package markdown

import "testing"

func TestSafeHref(t *testing.T) {
	tests := []struct {
		dest string
		want bool
		// stricter is set where safeHref refuses what a browser would
		// read as a relative URL (the safe side).
		stricter bool
	}{
		{"https://example.com/", true, false},
		{"http://example.com/", true, false},
		{"HTTPS://example.com/", true, false},
		{"mailto:ops@example.com", true, false},
		{"MailTo:ops@example.com", true, false},
		{"/executions/1", true, false},
		{"../x", true, false},
		{"x", true, false},
		{"//example.com/x", true, false}, // another site, as https:// would be
		{"?q=javascript:x", true, false},
		{"#javascript:x", true, false},
		{"a/javascript:x", true, false},
		{"", true, false},
		{"h\nttps://example.com/", true, false}, // a browser drops the newline: https

		{"javascript:alert(1)", false, false},
		{"JaVaScRiPt:alert(1)", false, false},
		{"java\tscript:alert(1)", false, false},
		{"java\nscript:alert(1)", false, false},
		{"java\rscript:alert(1)", false, false},
		{"javascript\t:alert(1)", false, false},
		{" javascript:alert(1)", false, false},
		{"\x01\x1fjavascript:alert(1)", false, false},
		{"javascript:alert(1) \x00", false, false},
		{"vbscript:msgbox(1)", false, false},
		{"data:text/html,<script>", false, false},
		{"data:image/png;base64,iVBORw0KGgo=", false, false},
		{"file:///etc/passwd", false, false},
		{"ftp://example.com/", false, false},
		{"httpx://example.com/", false, false},
		{"https2://example.com/", false, false},
		{"mailtox:a", false, false},
		{":x", false, true},
		{"java%09script:alert(1)", false, true},
		{"a b:c", false, true},
		{"\u212Aavascript:x", false, true}, // Kelvin sign: no case folding beyond ASCII
	}
	for _, tt := range tests {
		if got := safeHref(tt.dest); got != tt.want {
			t.Errorf("safeHref(%q) = %v, want %v", tt.dest, got, tt.want)
		}
		// The fuzz target's own reading of a URL agrees.
		if got := allowedHref(tt.dest); got != (tt.want || tt.stricter) {
			t.Errorf("allowedHref(%q) = %v, want %v", tt.dest, got, tt.want || tt.stricter)
		}
	}
}
