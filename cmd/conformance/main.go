// Command conformance runs the conformance corpus against a server that
// speaks the Mistral v2 REST API and prints how each case differs from its
// recorded `expect` block. With -write it records instead: each case's
// `expect` (or `mistral`, for cases where Sirocco deliberately differs) is
// rewritten with what the server did. Recording is meant to be done against
// the real Mistral 15.0.0.
//
//	go run ./cmd/conformance -url http://127.0.0.1:18989/v2 -dir internal/api/testdata/conformance [-run re] [-write]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"sync"
	"time"

	"github.com/sirocco-project/sirocco/internal/conformance"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "conformance:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("conformance", flag.ContinueOnError)
	base := fs.String("url", "http://127.0.0.1:8989/v2", "base URL of the server, with /v2")
	dir := fs.String("dir", "internal/api/testdata/conformance", "directory of the cases")
	filter := fs.String("run", "", "only the cases whose name matches this regexp")
	write := fs.Bool("write", false, "record: rewrite each case's expect block with what the server did")
	parallel := fs.Int("parallel", 4, "cases run at the same time")
	wait := fs.Duration("wait", 60*time.Second, "longest wait for any one step")
	if err := fs.Parse(args); err != nil {
		return err
	}
	re, err := regexp.Compile(*filter)
	if err != nil {
		return err
	}
	cases, err := conformance.Load(*dir)
	if err != nil {
		return err
	}
	runner := &conformance.Runner{BaseURL: *base, Client: &http.Client{Timeout: 30 * time.Second}, Wait: *wait, Poll: 100 * time.Millisecond}

	type report struct {
		text   string
		failed bool
	}
	var selected []*conformance.Case
	for _, c := range cases {
		if re.MatchString(c.Name) {
			selected = append(selected, c)
		}
	}
	reports := make([]report, len(selected))
	sem := make(chan struct{}, max(1, *parallel))
	var wg sync.WaitGroup
	for i, c := range selected {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			started := time.Now()
			out, err := runner.Run(ctx, c)
			took := time.Since(started).Round(10 * time.Millisecond)
			if err != nil {
				id := ""
				if out != nil {
					id = " (execution " + out.ExecutionID + ")"
				}
				reports[i] = report{fmt.Sprintf("ERROR %s%s: %v [%s]\n", c.Name, id, err, took), true}
				return
			}
			// This command checks (and records) Mistral itself: where Sirocco
			// differs on purpose, Mistral's value is under `mistral`.
			want := c.Expect
			if c.Differs != "" {
				want = c.Mistral
			}
			diffs := conformance.Compare(want, out.Result)
			if *write {
				if err := c.WriteRecorded(out.Result); err != nil {
					reports[i] = report{fmt.Sprintf("ERROR %s: write: %v\n", c.Name, err), true}
					return
				}
				verb := "recorded"
				if len(diffs) > 0 && want != nil {
					verb = "recorded (changed)"
				}
				reports[i] = report{fmt.Sprintf("%-10s %s: %s [%s]\n", verb, c.Name, out.Result.State, took), false}
				return
			}
			if len(diffs) == 0 {
				reports[i] = report{fmt.Sprintf("ok   %s [%s]\n", c.Name, took), false}
				return
			}
			text := fmt.Sprintf("FAIL %s (execution %s) [%s]\n", c.Name, out.ExecutionID, took)
			for _, d := range diffs {
				text += "     " + d + "\n"
			}
			reports[i] = report{text, true}
		}()
	}
	wg.Wait()
	failed := 0
	for _, r := range reports {
		fmt.Fprint(stdout, r.text)
		if r.failed {
			failed++
		}
	}
	fmt.Fprintf(stdout, "%d cases, %d failed\n", len(selected), failed)
	if failed > 0 {
		return fmt.Errorf("%d of %d cases failed", failed, len(selected))
	}
	return nil
}
