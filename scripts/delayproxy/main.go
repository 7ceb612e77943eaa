// Command delayproxy forwards TCP connections to another address and
// delays everything it forwards, each way, by a fixed time: a network's
// latency between the servers and a database on one machine, for the
// benchmarks (scripts/bench-postgres.sh with DELAY=…).
//
//	go run ./scripts/delayproxy -listen 127.0.0.1:5500 -to 127.0.0.1:5499 -delay 500us
//
// Bytes keep their order; each chunk read is written no earlier than delay
// after it was read, so a round trip takes at least twice the delay more.
package main

import (
	"flag"
	"io"
	"log"
	"net"
	"time"
)

// chunk is bytes read at some moment, to be written at due.
type chunk struct {
	due time.Time
	b   []byte
}

// forward copies src to dst, each chunk delay after it was read, until src
// ends; then it closes dst.
func forward(dst, src net.Conn, delay time.Duration) {
	queue := make(chan chunk, 4096)
	go func() {
		defer close(queue)
		buf := make([]byte, 64<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				queue <- chunk{time.Now().Add(delay), append([]byte(nil), buf[:n]...)}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range queue {
		time.Sleep(time.Until(c.due))
		if _, err := dst.Write(c.b); err != nil {
			break
		}
	}
	dst.Close()
	io.Copy(io.Discard, src) // let the reader end
}

// serve accepts connections on ln and forwards each to a new connection
// to the address to, until ln is closed.
func serve(ln net.Listener, to string, delay time.Duration) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			u, err := net.Dial("tcp", to)
			if err != nil {
				log.Printf("dial %s: %v", to, err)
				c.Close()
				return
			}
			go forward(u, c, delay)
			forward(c, u, delay)
		}()
	}
}

func main() {
	listen := flag.String("listen", "127.0.0.1:5500", "address to listen on")
	to := flag.String("to", "127.0.0.1:5499", "address to forward to")
	delay := flag.Duration("delay", 500*time.Microsecond, "delay each way")
	flag.Parse()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(serve(ln, *to, *delay))
}
