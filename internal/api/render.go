package api

import (
	"bytes"
	"encoding/json"
	"sort"
	"time"

	"github.com/labstack/echo/v4"
)

// object is a JSON object that keeps its keys in the order Mistral sends
// them, which makes curl output readable and diffable against Mistral's.
type object []field

type field struct {
	key   string
	value any
}

// MarshalJSON writes the fields in order.
func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteString(", ")
		}
		if err := encodeValue(&b, f.key); err != nil {
			return nil, err
		}
		b.WriteString(": ")
		if err := encodeValue(&b, f.value); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// encodeValue writes v as JSON without escaping <, > and &: responses are
// JSON, never HTML, and "<default-project>" should read as it is.
func encodeValue(b *bytes.Buffer, v any) error {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Truncate(b.Len() - 1) // Encode's trailing newline
	return nil
}

// writeJSON writes a JSON response.
func writeJSON(c echo.Context, status int, v any) error {
	var b bytes.Buffer
	if err := encodeValue(&b, v); err != nil {
		return err
	}
	return c.Blob(status, echo.MIMEApplicationJSON, b.Bytes())
}

// only keeps the named fields (and always id).
func (o object) only(fields []string) object {
	if len(fields) == 0 {
		return o
	}
	keep := setOf(fields...)
	keep["id"] = true
	out := make(object, 0, len(fields)+1)
	for _, f := range o {
		if keep[f.key] {
			out = append(out, f)
		}
	}
	return out
}

// without drops the named fields.
func (o object) without(names ...string) object {
	drop := setOf(names...)
	out := make(object, 0, len(o))
	for _, f := range o {
		if !drop[f.key] {
			out = append(out, f)
		}
	}
	return out
}

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func fmtTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return fmtTime(*t)
}

func strOrNil(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

func sortStrings(s []string) []string {
	sort.Strings(s)
	return s
}
