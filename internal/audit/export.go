package audit

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"

	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// CSVHeader is the first row of a CSV export, naming the columns.
var CSVHeader = []string{
	"seq", "at", "kind", "outcome", "actor", "channel", "addr", "action_execution_id",
	"state", "reason", "comment", "answer", "groups", "shown_digest", "prev", "hash",
}

// CSVWriter writes records as CSV for spreadsheets: the header, then one
// row per record. Every cell that a spreadsheet would take for a formula
// (starting with = + - @, a tab or a carriage return) gets a leading
// single quote, which spreadsheets show as text; the CSV is therefore for
// reading, and the JSON export is the exact one.
type CSVWriter struct {
	w      *csv.Writer
	header bool
	row    []string
}

// NewCSVWriter returns a CSVWriter on w.
func NewCSVWriter(w io.Writer) *CSVWriter {
	return &CSVWriter{w: csv.NewWriter(w), row: make([]string, len(CSVHeader))}
}

// Write writes r (and the header first, once).
func (c *CSVWriter) Write(r *Record) error {
	if !c.header {
		c.header = true
		if err := c.w.Write(CSVHeader); err != nil {
			return err
		}
	}
	at, err := FormatTime(r.At)
	if err != nil {
		at = r.At.String()
	}
	// Group names have no spaces (auth's name rule), so a space
	// separates them.
	cells := [...]string{
		strconv.FormatInt(r.Seq, 10), at, string(r.Kind), string(r.Outcome), r.Actor, r.Channel, r.Addr,
		r.ActionExecutionID, r.State, r.Reason, r.Comment, r.Answer, strings.Join(r.Groups, " "), r.ShownDigest,
		r.Prev.String(), r.Hash.String(),
	}
	for i, s := range cells {
		c.row[i] = Neutralise(s)
	}
	return c.w.Write(c.row)
}

// Flush writes what is buffered and returns the first error of any write.
func (c *CSVWriter) Flush() error {
	if !c.header {
		c.header = true
		if err := c.w.Write(CSVHeader); err != nil {
			return err
		}
	}
	c.w.Flush()
	return c.w.Error()
}

// WriteCSV writes records to w as CSVWriter does, header included even
// when there are none.
func WriteCSV(w io.Writer, records []Record) error {
	c := NewCSVWriter(w)
	for i := range records {
		if err := c.Write(&records[i]); err != nil {
			return err
		}
	}
	return c.Flush()
}

// Neutralise returns s with a single quote in front when a spreadsheet
// would read it as a formula: when it starts with = + - @, a tab or a
// carriage return (OWASP's list for CSV injection).
func Neutralise(s string) string {
	if s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0 {
		return "'" + s
	}
	return s
}

// Value returns r as the JSON export shows it: an object with the CSV's
// columns as members, answer as the JSON value it holds (null for none;
// the stored text when it is not JSON, which Verify reports anyway),
// groups as an array, at as FormatTime.
func (r *Record) Value() map[string]any {
	at, err := FormatTime(r.At)
	if err != nil {
		at = r.At.String()
	}
	var answer any
	if r.Answer != "" {
		if answer, err = jsonvalue.Decode([]byte(r.Answer)); err != nil {
			answer = r.Answer
		}
	}
	groups := make([]any, len(r.Groups))
	for i, g := range r.Groups {
		groups[i] = g
	}
	return map[string]any{
		"seq": r.Seq, "at": at, "kind": string(r.Kind), "outcome": string(r.Outcome),
		"actor": r.Actor, "channel": r.Channel, "addr": r.Addr, "action_execution_id": r.ActionExecutionID,
		"state": r.State, "reason": r.Reason, "comment": r.Comment, "answer": answer, "groups": groups,
		"shown_digest": r.ShownDigest, "prev": r.Prev.String(), "hash": r.Hash.String(),
	}
}
