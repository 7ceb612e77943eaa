package expr

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/jsonvalue"
)

// FuzzEvalString feeds arbitrary strings to Check, Contains and EvalString.
// Panics are turned into *Error values by the top-level recover, so the
// target looks for that internal-error marker: the evaluator must be total
// without relying on recover. It also checks that Check and EvalString agree
// on what is a syntax error. Seeds: testdata/fuzz/FuzzEvalString and every
// input of testdata/cases.txt.
func FuzzEvalString(f *testing.F) {
	if fh, err := os.Open("testdata/cases.txt"); err == nil {
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			if in, _, ok := strings.Cut(sc.Text(), "\t"); ok && !strings.HasPrefix(in, "#") {
				f.Add(in)
			}
		}
		fh.Close()
	}
	ctx := testContext(f)
	f.Fuzz(func(t *testing.T, s string) {
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				panic(fmt.Sprintf("input %q is still running after 5s", s))
			}
		}()
		checkErr := Check(s)
		_ = Contains(s)
		v, err := EvalString(s, ctx)
		for _, e := range []error{checkErr, err} {
			var xe *Error
			if errors.As(e, &xe) && strings.HasPrefix(xe.Msg, "internal error") {
				t.Fatalf("input %q: %v", s, e)
			}
		}
		var xe *Error
		if checkErr == nil && errors.As(err, &xe) && xe.Parse {
			t.Fatalf("input %q: Check passed but EvalString reports a syntax error: %v", s, err)
		}
		if checkErr != nil && err == nil {
			t.Fatalf("input %q: Check failed (%v) but EvalString succeeded", s, checkErr)
		}
		if err == nil {
			_ = Str(v)
			_, _ = jsonvalue.Encode(v)
		}
	})
}
