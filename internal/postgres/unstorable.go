package postgres

import (
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// Lookups of what no row can hold. PostgreSQL's text holds neither a NUL
// character nor bytes that are not UTF-8, and refuses a parameter holding
// either with an error (SQLSTATE 22021) that aborts the transaction. No
// stored id, name or text can match such a parameter, so a read or a
// delete given one matches nothing, as on SQLite (an unknown id: 404, not
// 400), and is not sent. Writes still refuse it (dbErr: EINVALID). The
// store's reads and deletes compare their text parameters for equality,
// containment or membership only, never for difference, so "matches
// nothing" is their answer.

// verb is a statement's kind, as far as the store cares: read, delete, or
// anything else (which may write). Each statement is classified once.
type verb uint8

const (
	verbOther verb = iota
	verbSelect
	verbDelete
)

// verbOf classifies sql by its first word.
func verbOf(sql string) verb {
	s := strings.TrimLeft(sql, " \t\n")
	switch {
	case hasPrefixFold(s, "SELECT"):
		return verbSelect
	case hasPrefixFold(s, "DELETE"):
		return verbDelete
	}
	return verbOther
}

// matchesNothing reports whether a statement of verb v is a read or a
// delete given a text parameter no row can hold.
func matchesNothing(v verb, args []any) bool {
	if v == verbOther {
		return false
	}
	for _, a := range args {
		switch v := a.(type) {
		case string:
			if !storable(v) {
				return true
			}
		case *string:
			if v != nil && !storable(*v) {
				return true
			}
		case []string:
			for _, s := range v {
				if !storable(s) {
					return true
				}
			}
		}
	}
	return false
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// storable reports whether PostgreSQL's text can hold s.
func storable(s string) bool {
	return strings.IndexByte(s, 0) < 0 && utf8.ValidString(s)
}

// nothing is the answer of a statement of verb v that matches nothing:
// no rows for a read, no row deleted for a delete.
func nothing(v verb) pgconn.CommandTag {
	if v == verbDelete {
		return pgconn.NewCommandTag("DELETE 0")
	}
	return pgconn.NewCommandTag("SELECT 0")
}

// noRows are the rows of a statement that matches nothing.
type noRows struct{ tag pgconn.CommandTag }

func (noRows) Close()                                       {}
func (noRows) Err() error                                   { return nil }
func (r noRows) CommandTag() pgconn.CommandTag              { return r.tag }
func (noRows) FieldDescriptions() []pgconn.FieldDescription { return nil }
func (noRows) Next() bool                                   { return false }
func (noRows) Scan(...any) error                            { return pgx.ErrNoRows }
func (noRows) Values() ([]any, error)                       { return nil, pgx.ErrNoRows }
func (noRows) RawValues() [][]byte                          { return nil }
func (noRows) Conn() *pgx.Conn                              { return nil }

func (noRows) TypeMap() *pgtype.Map { return nil }

var _ pgx.Rows = noRows{}
