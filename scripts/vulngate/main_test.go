package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

func load(t *testing.T) (report, map[string]acceptance) {
	t.Helper()
	f, err := os.Open("testdata/stream.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := readFindings(f)
	if err != nil {
		t.Fatal(err)
	}
	list, err := readAccepted("testdata/accepted.md")
	if err != nil {
		t.Fatal(err)
	}
	return rep, list
}

func TestOnlyCalledFindingsCount(t *testing.T) {
	rep, _ := load(t)
	if rep.GoVersion != "go1.26.8" {
		t.Errorf("go version %q", rep.GoVersion)
	}
	if len(rep.Called) != 2 || rep.Called["GO-2026-0002"] != "" {
		t.Fatalf("called = %v, want GO-2026-0001 and GO-2026-0003 (0002 is imported, not called)", rep.Called)
	}
	if got := rep.Called["GO-2026-0001"]; got != "net/http@v1.26.8 *Client.Do <- *Runner.Run" {
		t.Errorf("path = %q", got)
	}
}

func TestCheck(t *testing.T) {
	rep, list := load(t)
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	var out strings.Builder
	if check(&out, rep, list, now) {
		t.Fatalf("a called finding that is not on the list passed:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "NEW       GO-2026-0003") || !strings.Contains(out.String(), "accepted  GO-2026-0001") {
		t.Errorf("output:\n%s", out.String())
	}

	list["GO-2026-0003"] = acceptance{ID: "GO-2026-0003", ReviewBy: now.AddDate(0, 0, -1)}
	out.Reset()
	if !check(&out, rep, list, now) {
		t.Fatalf("every finding accepted, yet it failed:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "REVIEW    GO-2026-0003") {
		t.Errorf("a past review date is not reported:\n%s", out.String())
	}
}

func TestReadAcceptedRefusesBadDates(t *testing.T) {
	path := t.TempDir() + "/list.md"
	if err := os.WriteFile(path, []byte("| GO-2026-0001 | x | y | z | soon |\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := readAccepted(path); err == nil || !strings.Contains(err.Error(), "not YYYY-MM-DD") {
		t.Fatalf("err = %v", err)
	}
}

func TestReadFindingsRefusesOtherInput(t *testing.T) {
	if _, err := readFindings(strings.NewReader(`{"progress":{}}`)); err == nil {
		t.Fatal("a stream without config was accepted")
	}
}
