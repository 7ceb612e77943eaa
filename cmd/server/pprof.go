//go:build pprof

package main

import (
	"log/slog"
	"net/http"
	_ "net/http/pprof" // profiling endpoints, only in binaries built with -tags pprof
	"os"
)

// A binary built with -tags pprof serves net/http/pprof on
// SIROCCO_PPROF_ADDR (default 127.0.0.1:6060), for measuring where the
// CPU goes under load (docs/BENCHMARKS.md). Release builds leave it out.
func init() {
	addr := os.Getenv("SIROCCO_PPROF_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6060"
	}
	go func() {
		if err := http.ListenAndServe(addr, nil); err != nil {
			slog.Error("pprof", "err", err)
		}
	}()
}
