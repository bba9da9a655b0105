package client

import (
	"context"
	"net/url"
	"strconv"

	"github.com/pickwave/pickwave"
)

// EventService reads the event log over the API.
type EventService struct{ c *Client }

var _ pickwave.EventService = (*EventService)(nil)

// Events returns up to limit events with a sequence above after
// (supervisors and admins).
func (s *EventService) Events(ctx context.Context, after uint64, limit int) ([]*pickwave.Event, error) {
	q := url.Values{"after": {strconv.FormatUint(after, 10)}}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var res struct {
		Items []*pickwave.Event `json:"items"`
	}
	if err := s.c.do(ctx, call{method: "GET", path: "/api/v1/events", query: q, out: &res}); err != nil {
		return nil, err
	}
	return res.Items, nil
}

// LastSeq has no HTTP route: EMETHOD. Page Events from the last sequence
// seen instead.
func (s *EventService) LastSeq(ctx context.Context) (uint64, error) {
	return 0, noRoute("EventService.LastSeq", "page Events from the last sequence seen")
}
