package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sirocco-project/sirocco/internal/jsonvalue"
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
	if err := appendJSON(&b, o); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// appendJSON writes v exactly as encoding/json would (compact, with
// SetEscapeHTML(false): responses are JSON, never HTML, and
// "<default-project>" should read as it is), but directly for the types
// responses are built of: going through encoding/json cost a reflection
// walk, an encoder per value and a second pass over every object (5 % of
// the server's CPU under load). Other types still go through encoding/json.
func appendJSON(b *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		appendString(b, x)
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case object:
		b.WriteByte('{')
		for i, f := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			appendString(b, f.key)
			b.WriteByte(':')
			if err := appendJSON(b, f.value); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case []object:
		if x == nil {
			b.WriteString("null")
			return nil
		}
		b.WriteByte('[')
		for i, o := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := appendJSON(b, o); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case rawJSON:
		// Stored JSON text: validated and compacted, as encoding/json
		// does with what a Marshaler returns.
		if err := json.Compact(b, []byte(x)); err != nil {
			return fmt.Errorf("json: error calling MarshalJSON for type api.rawJSON: %w", err)
		}
	default:
		enc := json.NewEncoder(b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return err
		}
		b.Truncate(b.Len() - 1) // Encode's trailing newline
	}
	return nil
}

// appendString writes s as a JSON string the way encoding/json does
// without HTML escaping.
func appendString(b *bytes.Buffer, s string) {
	b.Write(jsonvalue.AppendString(b.AvailableBuffer(), s))
}

// writeJSON writes a JSON response.
func writeJSON(c echo.Context, status int, v any) error {
	b := jsonBuffers.Get().(*bytes.Buffer)
	defer func() {
		if b.Cap() <= maxPooledBuffer {
			b.Reset()
			jsonBuffers.Put(b)
		}
	}()
	if err := appendJSON(b, v); err != nil {
		return err
	}
	return c.Blob(status, echo.MIMEApplicationJSON, b.Bytes()) // written out before it returns
}

// jsonBuffers recycles response buffers: growing a fresh one for every
// response was a tenth of the bytes the server allocated under load.
var jsonBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer keeps the odd huge response (a list of 1,000 records)
// from pinning its buffer in the pool.
const maxPooledBuffer = 64 << 10

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
