package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// An API flood beside the handhelds (--api-flood): clients that read
// one API route as fast as they are answered, as a misbehaving
// integration or a script on the floor network would. Each pauses as a
// 429 or 503 answer's Retry-After says, as a well-behaved client does;
// the report shows what the flood got and what the scans kept. Against a
// server on 127.0.0.1 the flood comes from 127.0.0.2, another address
// than the handhelds' and loadgen's own API calls.

// floodReport is what the flood's clients got.
type floodReport struct {
	Clients          int
	ok, shed, capped int
	other, errs      int
	rtts             []time.Duration // of the 200 answers
	firstErr         error
}

// flood runs the flood clients until ctx ends.
func (lg *loadgen) flood(ctx context.Context) *floodReport {
	n := lg.cfg.APIFlood
	tr := &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n, TLSClientConfig: lg.cfg.TLS}
	if ip := net.ParseIP(lg.cfg.URL.Hostname()); ip != nil && ip.To4() != nil && ip.IsLoopback() {
		// Another host than the handhelds', as a flood on the floor
		// network is: Linux answers all of 127.0.0.0/8 on loopback.
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
		tr.DialContext = d.DialContext
	}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	url := strings.TrimSuffix(lg.cfg.URL.String(), "/") + lg.cfg.APIFloodPath
	reps := make([]floodReport, n)
	var wg sync.WaitGroup
	for i := range reps {
		wg.Go(func() { reps[i].run(ctx, hc, url, lg.cfg.Token) })
	}
	wg.Wait()
	all := &floodReport{Clients: n}
	for _, r := range reps {
		all.ok += r.ok
		all.shed += r.shed
		all.capped += r.capped
		all.other += r.other
		all.errs += r.errs
		all.rtts = append(all.rtts, r.rtts...)
		if all.firstErr == nil {
			all.firstErr = r.firstErr
		}
	}
	return all
}

func (r *floodReport) run(ctx context.Context, hc *http.Client, url, token string) {
	for ctx.Err() == nil {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			r.fail(err)
			return
		}
		req.Header.Set("Authorization", "Bearer "+token)
		start := time.Now()
		resp, err := hc.Do(req)
		if err != nil {
			if ctx.Err() == nil {
				r.fail(err)
				sleepCtx(ctx, time.Second)
			}
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK:
			r.ok++
			r.rtts = append(r.rtts, time.Since(start))
			continue
		case http.StatusServiceUnavailable:
			r.shed++
		case http.StatusTooManyRequests:
			r.capped++
		default:
			r.other++
			if r.firstErr == nil {
				r.firstErr = fmt.Errorf("GET %s: %s", url, resp.Status)
			}
		}
		wait := time.Second
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			wait = min(time.Duration(s)*time.Second, 10*time.Second)
		}
		sleepCtx(ctx, wait)
	}
}

func (r *floodReport) fail(err error) {
	r.errs++
	if r.firstErr == nil && !errors.Is(err, context.Canceled) {
		r.firstErr = err
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func (r *floodReport) print(w io.Writer, secs float64) {
	slices.Sort(r.rtts)
	pct := func(q float64) string { return percentile(r.rtts, q) }
	total := r.ok + r.shed + r.capped + r.other + r.errs
	fmt.Fprintf(w, "api flood      %d clients, %d requests: %d ok (%.0f/s, p50 %s, p99 %s), %d shed (503), %d limited (429), %d other, %d failed\n",
		r.Clients, total, r.ok, float64(r.ok)/secs, pct(0.5), pct(0.99), r.shed, r.capped, r.other, r.errs)
	if r.firstErr != nil {
		fmt.Fprintf(w, "  first failure: %v\n", r.firstErr)
	}
}
