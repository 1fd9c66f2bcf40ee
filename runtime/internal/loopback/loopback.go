// Package loopback gives tests both ends of a real TCP connection on 127.0.0.1, for the packages that wrap
// connections (lazy deadlines, raw system calls) and must be tested on a real socket.
package loopback

import (
	"net"
	"testing"
)

// Pair returns the dialing and the accepting end of a new loopback TCP connection. Both are closed when the test
// ends.
func Pair(tb testing.TB) (client, server *net.TCPConn) {
	tb.Helper()
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan *net.TCPConn, 1)
	go func() {
		c, err := ln.AcceptTCP()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	client, err = net.DialTCP("tcp", nil, ln.Addr().(*net.TCPAddr))
	if err != nil {
		tb.Fatal(err)
	}
	server, ok := <-accepted
	if !ok {
		client.Close()
		tb.Fatal("accept failed")
	}
	tb.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}
