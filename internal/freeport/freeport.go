// Package freeport hands out loopback addresses for servers that tests
// start in processes of their own (a pickwave binary, an etcd member),
// which must be given their port rather than pick one.
//
// A port taken with net.Listen(":0") and closed again is drawn from the
// kernel's ephemeral range, the range every outgoing connection and every
// other ":0" listener on the machine also draws from; under a busy
// `go test ./...` one of those takes it back before the child binds it
// ("address already in use"). Addr draws from below that range instead,
// at random, and checks the port is free.
package freeport

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
)

// lowest is the lowest port handed out: above the ports of well-known
// services.
const lowest = 10000

// Addr returns a loopback address "127.0.0.1:port" whose port was free a
// moment ago and lies below the kernel's ephemeral port range.
func Addr() (string, error) {
	highest := ephemeralLow() - 1
	var err error
	for range 100 {
		port := lowest + rand.IntN(highest-lowest+1)
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		var ln net.Listener
		if ln, err = net.Listen("tcp", addr); err == nil {
			ln.Close()
			return addr, nil
		}
	}
	return "", fmt.Errorf("freeport: no free port in 100 tries: %w", err)
}

// ephemeralLow is the lowest port of the kernel's ephemeral range
// (Linux's default 32768 where it cannot be read).
func ephemeralLow() int {
	const linuxDefault = 32768
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return linuxDefault
	}
	fields := strings.Fields(string(b))
	if len(fields) != 2 {
		return linuxDefault
	}
	low, err := strconv.Atoi(fields[0])
	if err != nil || low <= lowest+1000 {
		return linuxDefault
	}
	return low
}
