package web

import "testing"

// TestShownReceiver: a mail receiver shows only the address's first
// letter and domain on the Notifications cards; webhooks show as they are.
func TestShownReceiver(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"mailto:ann.lee@example.com", "mailto:a…@example.com"},
		{"mailto:élise@example.org", "mailto:é…@example.org"},
		{"mailto:broken", "mailto:…"},
		{"mailto:@example.com", "mailto:…"},
		{"https://hooks.example/notify", "https://hooks.example/notify"},
	} {
		if got := shownReceiver(tt.in); got != tt.want {
			t.Errorf("shownReceiver(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
