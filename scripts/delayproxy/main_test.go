package main

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// TestForwardsIntactAndLate: what a client sends through the proxy reaches
// the server whole and in order, the server's answer comes back the same
// way, and the round trip takes at least twice the delay.
func TestForwardsIntactAndLate(t *testing.T) {
	server, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	go func() { // an echo server
		c, err := server.Accept()
		if err != nil {
			return
		}
		io.Copy(c, c)
		c.Close()
	}()
	proxy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	const delay = 20 * time.Millisecond
	go serve(proxy, server.Addr().String(), delay)

	c, err := net.Dial("tcp", proxy.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := bytes.Repeat([]byte("0123456789"), 20000) // several chunks
	start := time.Now()
	go c.Write(msg)
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed < 2*delay {
		t.Errorf("round trip took %v, want at least %v", elapsed, 2*delay)
	}
	if !bytes.Equal(got, msg) {
		t.Error("the echo differs from what was sent")
	}
}
