package expr

import "github.com/sirocco-project/sirocco/internal/jsonvalue"

// canon is the cheap, shallow form of Normalize used on every value the
// evaluator reads from the data or from a Func: plain values pass
// through untouched; anything else is normalized (or kept as is if it
// cannot be).
func canon(v any) any {
	switch v.(type) {
	case nil, bool, int64, float64, string, []any, *jsonvalue.Object, map[string]any:
		return v
	}
	if n, err := jsonvalue.Normalize(v); err == nil {
		return n
	}
	return v
}
