// Command adder is an example web service for std.mistral_http: it receives
// the request, answers 202 at once, then adds the query parameters a and b
// and posts the sum to the callback URL Sirocco sent in its headers.
//
//	go run ./examples/adder            # listens on 127.0.0.1:8990
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"strconv"
	"sync"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8990", "listen address")
	flag.Parse()
	log.Printf("adder listening on %s", *addr)
	log.Fatal(http.ListenAndServe(*addr, handler(http.DefaultClient)))
}

// handler serves the adder. Sirocco sends each request at least once, so
// requests are deduplicated on Mistral-Action-Execution-Id.
func handler(client *http.Client) http.Handler {
	var mu sync.Mutex
	seen := map[string]bool{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("Mistral-Action-Execution-Id")
		callback := r.Header.Get("Mistral-Callback-URL")
		// The callback token lets this service, which has no account,
		// complete this one action: send it back with the result.
		token := r.Header.Get("Sirocco-Callback-Token")
		if id == "" || callback == "" {
			http.Error(w, "not a std.mistral_http request: Mistral-* headers missing", http.StatusBadRequest)
			return
		}
		a, errA := strconv.Atoi(r.URL.Query().Get("a"))
		b, errB := strconv.Atoi(r.URL.Query().Get("b"))
		if errA != nil || errB != nil {
			http.Error(w, "query parameters a and b must be integers", http.StatusBadRequest)
			return
		}
		mu.Lock()
		dup := seen[id]
		seen[id] = true
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		if dup {
			return
		}
		// Answer later, as a real long-running service would.
		go func() {
			time.Sleep(100 * time.Millisecond)
			body, _ := json.Marshal(map[string]any{"state": "SUCCESS", "output": a + b})
			url := callback + "/v2/action-executions/" + id
			req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
			if err != nil {
				log.Printf("callback %s: %v", url, err)
				return
			}
			req.Header.Set("Content-Type", "application/json")
			if token != "" {
				req.Header.Set("Sirocco-Callback-Token", token)
			}
			resp, err := client.Do(req)
			if err != nil {
				log.Printf("callback %s: %v", url, err)
				return
			}
			resp.Body.Close()
			log.Printf("%s: %d + %d = %d, callback answered %s", id, a, b, a+b, resp.Status)
		}()
		fmt.Fprintln(w, "accepted")
	})
}
