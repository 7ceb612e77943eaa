package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sirocco-project/sirocco/internal/conformance"
)

// TestConformance runs the conformance corpus (testdata/conformance: each
// case's expect block was recorded from the real Mistral 15.0.0) against
// Sirocco through its REST API, each case on its own server and SQLite
// file. Where a case says it differs, expect holds Sirocco's value and
// `mistral` keeps what Mistral gave, for the record.
//
// The cases mostly wait (on timers, on callbacks being processed), so they
// all run at once, whatever -parallel says; each subtest then reports its
// case. Record again with: go run ./cmd/conformance -url <mistral>/v2 -write
func TestConformance(t *testing.T) {
	cases, err := conformance.Load("testdata/conformance")
	if err != nil {
		t.Fatal(err)
	}
	type outcome struct {
		out *conformance.Outcome
		err error
	}
	results := make([]chan outcome, len(cases))
	for i, c := range cases {
		results[i] = make(chan outcome, 1)
		s := newServer(t)
		r := &conformance.Runner{
			BaseURL: s.url + "/v2",
			Client:  &http.Client{Timeout: 10 * time.Second},
			Wait:    15 * time.Second,
			Poll:    10 * time.Millisecond,
		}
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			out, err := r.Run(ctx, c)
			results[i] <- outcome{out, err}
		}()
	}
	for i, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			o := <-results[i]
			if o.err != nil {
				t.Fatalf("%s\n%v", c.Description, o.err)
			}
			if diffs := conformance.Compare(c.Expect, o.out.Result); len(diffs) > 0 {
				t.Errorf("%s\n%s", c.Description, strings.Join(diffs, "\n"))
			}
		})
	}
}
