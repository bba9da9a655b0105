package ha

import (
	"context"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Appends go straight to the etcd leader.
//
// The site's client spreads its requests over every member. An append
// that reaches an etcd follower is forwarded to the etcd leader, and the
// follower answers only once it has heard the entry committed and applied
// it itself: two more hops between processes, in every group commit's
// way. So the leader sends its appends through a client of its own, to the
// etcd leader's endpoint alone, found by asking each member for its
// status. When an append to it fails, or no member knows a leader, the
// appends go through the site's client until the next refresh finds the
// new etcd leader; Maintain refreshes every few seconds, which also
// follows a leader that moved without any append failing.

// pin is the client to the etcd leader's endpoint, when one is known.
type pin struct {
	site *Site

	mu     sync.Mutex
	client *clientv3.Client // nil: appends use the site's client
	ep     string
	closed bool // the lead is over: pin nothing more
}

// statusTimeout bounds the question to one member, and the dial to the
// etcd leader: a member slower than that is no member to pin to.
const statusTimeout = 500 * time.Millisecond

// refresh pins the etcd leader's endpoint, keeping the client when the
// leader did not move. It does nothing on a site whose client the caller
// made (NewSite): its TLS and auth settings are not the site's to copy.
func (p *pin) refresh(ctx context.Context) {
	s := p.site
	if !s.ownClient {
		return
	}
	ep := p.find(ctx)
	p.mu.Lock()
	same := ep == p.ep && p.client != nil
	p.mu.Unlock()
	if same {
		return
	}
	var c *clientv3.Client
	if ep != "" {
		cfg := s.cfg.clientConfig(ctx, []string{ep})
		cfg.DialTimeout = statusTimeout
		var err error
		if c, err = clientv3.New(cfg); err != nil {
			s.logger.Warn("appends through every etcd member: no client to the etcd leader", "endpoint", ep, "err", err)
			c, ep = nil, ""
		}
	}
	p.swap(c, ep)
	if ep != "" {
		s.logger.Info("appends go to the etcd leader", "endpoint", ep)
	}
}

// find asks every member at once which of them leads etcd, and returns
// its endpoint, "" when none answers that it does: a member that is down
// costs no time once the leader answered.
func (p *pin) find(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, statusTimeout)
	defer cancel()
	eps := p.site.client.Endpoints()
	answers := make(chan string, len(eps)) // an endpoint, or "" from one that does not lead
	for _, e := range eps {
		go func() {
			st, err := p.site.client.Status(ctx, e)
			if err == nil && st.Leader != 0 && st.Header.MemberId == st.Leader {
				answers <- e
				return
			}
			answers <- ""
		}()
	}
	ep := ""
	for range eps {
		if a := <-answers; a != "" && ep == "" {
			ep = a
			cancel() // the others end now
		}
	}
	return ep
}

// get returns the client to append through and the endpoint it is pinned
// to ("" for the site's client).
func (p *pin) get() (*clientv3.Client, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client == nil {
		return p.site.client, ""
	}
	return p.client, p.ep
}

// drop unpins after an append to ep failed: until the next refresh the
// appends go through the site's client.
func (p *pin) drop(ep string) {
	p.mu.Lock()
	pinned := p.client != nil && p.ep == ep
	p.mu.Unlock()
	if pinned {
		p.site.logger.Info("appends through every etcd member: an append to the etcd leader failed", "endpoint", ep)
		p.swap(nil, "")
	}
}

// swap puts c in place of the pinned client, closing the old one; once
// the pin is closed it closes c instead.
func (p *pin) swap(c *clientv3.Client, ep string) {
	p.mu.Lock()
	old := p.client
	if p.closed {
		old, c, ep = c, nil, ""
	}
	p.client, p.ep = c, ep
	p.mu.Unlock()
	if old != nil {
		old.Close()
	}
}

// close unpins for good.
func (p *pin) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.swap(nil, "")
}
