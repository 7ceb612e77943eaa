package engine

import (
	"context"
	"fmt"
	"strconv"

	"github.com/sirocco-project/sirocco/internal/expr"
	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// testDictParams are std.test_dict's parameters.
var testDictParams = []param{{name: "size", def: int64(0)}, {name: "key_prefix", def: ""}, {name: "val", def: ""}}

// runTestDict makes {key_prefix+"0": val, …} with size entries, as
// Mistral's test_dict does (a negative size makes none). A dict that would
// pass the action result's limit is refused before it is built.
func runTestDict(_ context.Context, e *Engine, a *ActionExecution, in map[string]any) (any, error) {
	var size int64
	ok := true
	switch n := in["size"].(type) {
	case int64:
		size = n
	case int:
		size = int64(n)
	case float64:
		size, ok = int64(n), n == float64(int64(n))
	default:
		ok = false
	}
	if !ok {
		return nil, crash(a, fmt.Sprintf("size must be an integer, not %s", jsonvalue.Kind(in["size"])))
	}
	prefix := expr.Str(in["key_prefix"])
	val, err := jsonvalue.Encode(in["val"])
	if err != nil {
		return nil, crash(a, "val: "+err.Error())
	}
	if size > 0 {
		// Each entry is at least `"<prefix><i>": <val>, ` once encoded.
		per := int64(len(prefix) + len(val) + 6)
		if size > int64(e.maxOutput)/per {
			return nil, crash(a, fmt.Sprintf("a dict of %d entries is larger than %d bytes, the limit of an action's result", size, e.maxOutput))
		}
	}
	res := make(map[string]any, max(size, 0))
	for i := int64(0); i < size; i++ {
		res[prefix+strconv.FormatInt(i, 10)] = in["val"]
	}
	return res, nil
}
