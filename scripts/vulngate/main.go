// Command vulngate reads govulncheck's JSON stream and fails when the code
// calls a vulnerable function that docs/vulnerabilities.md has not accepted.
//
//	govulncheck -format json ./... | go run ./scripts/vulngate -accepted docs/vulnerabilities.md
//
// Only findings at the symbol level count (the code calls the affected
// function), as govulncheck's own exit status does. An accepted finding
// whose review date has passed is reported but does not fail the run: the
// date asks for a look, and CI must not turn red because a day went by.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

func main() {
	accepted := flag.String("accepted", "docs/vulnerabilities.md", "Markdown file whose table rows `| GO-… |` list accepted findings")
	flag.Parse()
	list, err := readAccepted(*accepted)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulngate:", err)
		os.Exit(2)
	}
	rep, err := readFindings(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulngate:", err)
		os.Exit(2)
	}
	if !check(os.Stdout, rep, list, time.Now()) {
		os.Exit(1)
	}
}

// acceptance is one row of the accepted list.
type acceptance struct {
	ID       string
	ReviewBy time.Time
}

// readAccepted reads the rows of the Markdown table whose first cell is an
// OSV id; the last cell is the review date (YYYY-MM-DD).
func readAccepted(path string) (map[string]acceptance, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]acceptance{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "| GO-") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		id := strings.TrimSpace(cells[0])
		date := strings.TrimSpace(cells[len(cells)-1])
		by, err := time.Parse(time.DateOnly, date)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %s: review date %q is not YYYY-MM-DD", path, n, id, date)
		}
		out[id] = acceptance{ID: id, ReviewBy: by}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// report is what one govulncheck run found.
type report struct {
	GoVersion string
	// Called maps an OSV id to one call path that reaches it.
	Called map[string]string
	// Summaries maps an OSV id to its one-line summary.
	Summaries map[string]string
}

type message struct {
	Config *struct {
		GoVersion string `json:"go_version"`
	} `json:"config"`
	OSV *struct {
		ID      string `json:"id"`
		Summary string `json:"summary"`
	} `json:"osv"`
	Finding *struct {
		OSV   string `json:"osv"`
		Trace []struct {
			Module   string `json:"module"`
			Version  string `json:"version"`
			Package  string `json:"package"`
			Function string `json:"function"`
			Receiver string `json:"receiver"`
		} `json:"trace"`
	} `json:"finding"`
}

func readFindings(r io.Reader) (report, error) {
	rep := report{Called: map[string]string{}, Summaries: map[string]string{}}
	dec := json.NewDecoder(r)
	for {
		var m message
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return rep, fmt.Errorf("read govulncheck output: %w", err)
		}
		switch {
		case m.Config != nil:
			rep.GoVersion = m.Config.GoVersion
		case m.OSV != nil:
			rep.Summaries[m.OSV.ID] = m.OSV.Summary
		case m.Finding != nil && len(m.Finding.Trace) > 0 && m.Finding.Trace[0].Function != "":
			if _, ok := rep.Called[m.Finding.OSV]; ok {
				continue
			}
			t := m.Finding.Trace
			first, last := t[0], t[len(t)-1]
			rep.Called[m.Finding.OSV] = fmt.Sprintf("%s@%s %s <- %s", first.Package, first.Version, name(first.Receiver, first.Function), name(last.Receiver, last.Function))
		}
	}
	if rep.GoVersion == "" {
		return rep, errors.New("no config message: is this govulncheck -format json output?")
	}
	return rep, nil
}

func name(recv, fn string) string {
	if recv == "" {
		return fn
	}
	return recv + "." + fn
}

// check prints every called finding and whether it is accepted; it returns
// false when one is not.
func check(w io.Writer, rep report, list map[string]acceptance, now time.Time) bool {
	ids := make([]string, 0, len(rep.Called))
	for id := range rep.Called {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	ok := true
	fmt.Fprintf(w, "govulncheck under %s: %d called\n", rep.GoVersion, len(ids))
	for _, id := range ids {
		a, found := list[id]
		switch {
		case !found:
			ok = false
			fmt.Fprintf(w, "  NEW       %s %s\n            %s\n            add it to docs/vulnerabilities.md with its reach, fix and a review date, or fix it\n", id, rep.Summaries[id], rep.Called[id])
		case now.After(a.ReviewBy):
			fmt.Fprintf(w, "  REVIEW    %s (accepted until %s, now past) %s\n", id, a.ReviewBy.Format(time.DateOnly), rep.Summaries[id])
		default:
			fmt.Fprintf(w, "  accepted  %s %s\n", id, rep.Summaries[id])
		}
	}
	return ok
}
