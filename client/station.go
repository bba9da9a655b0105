package client

import (
	"context"
	"net/http"

	"github.com/pickwave/pickwave"
)

// StationService keeps pack stations over the API.
type StationService struct{ c *Client }

var _ pickwave.StationService = (*StationService)(nil)

// stationView is a station as the API answers it: with its live state.
type stationView struct {
	pickwave.Station
	State *pickwave.StationState `json:"state"`
}

// CreateStation adds a station (admin only) and fills st in as stored.
// EINVALID, ECONFLICT.
func (s *StationService) CreateStation(ctx context.Context, st *pickwave.Station) error {
	var v stationView
	if err := s.c.do(ctx, call{method: "POST", path: "/api/v1/stations", in: st, out: &v}); err != nil {
		return err
	}
	*st = v.Station
	return nil
}

// UpdateStation replaces a station's name and devices (admin only).
// EINVALID, ENOTFOUND, ECONFLICT.
func (s *StationService) UpdateStation(ctx context.Context, st *pickwave.Station) (*pickwave.Station, error) {
	var v stationView
	if err := s.c.do(ctx, call{method: "PUT", path: "/api/v1/stations/" + seg(st.ID), in: st, out: &v}); err != nil {
		return nil, err
	}
	return &v.Station, nil
}

// Station returns one station; ENOTFOUND.
func (s *StationService) Station(ctx context.Context, id string) (*pickwave.Station, error) {
	st, _, err := s.StationWithState(ctx, id)
	return st, err
}

// StationWithState returns one station and its devices' live state, nil
// while the station runtime does not run it; ENOTFOUND.
func (s *StationService) StationWithState(ctx context.Context, id string) (*pickwave.Station, *pickwave.StationState, error) {
	var v stationView
	if err := s.c.do(ctx, call{method: "GET", path: "/api/v1/stations/" + seg(id), out: &v}); err != nil {
		return nil, nil, err
	}
	return &v.Station, v.State, nil
}

// Stations lists one page of stations in id order after the given id.
func (s *StationService) Stations(ctx context.Context, after string, limit int) ([]*pickwave.Station, error) {
	var p pageOf[*stationView]
	if err := s.c.do(ctx, call{method: "GET", path: "/api/v1/stations", query: pageQuery(after, limit), out: &p}); err != nil {
		return nil, err
	}
	list := make([]*pickwave.Station, len(p.Items))
	for i, v := range p.Items {
		list[i] = &v.Station
	}
	return list, nil
}

// PrintJobService queues and manages print jobs over the API. It does not
// implement pickwave.PrintQueue, whose bookkeeping methods have no route
// (see the package doc).
type PrintJobService struct{ c *Client }

// queue calls a route that queues a job, idempotently on requestID when
// it is not "": created is false when the request was made before.
func (s *PrintJobService) queue(ctx context.Context, path, requestID string) (*pickwave.PrintJob, bool, error) {
	var job pickwave.PrintJob
	var status int
	r := call{method: "POST", path: path, out: &job, status: &status}
	if requestID != "" {
		r.in = struct {
			RequestID string `json:"request_id"`
		}{requestID}
	}
	if err := s.c.do(ctx, r); err != nil {
		return nil, false, err
	}
	return &job, status == http.StatusCreated, nil
}

// TestLabel queues a test label on the station's printer. ENOTFOUND,
// ECONFLICT when the station has no printer.
func (s *PrintJobService) TestLabel(ctx context.Context, stationID, requestID string) (*pickwave.PrintJob, bool, error) {
	return s.queue(ctx, "/api/v1/stations/"+seg(stationID)+"/test-label", requestID)
}

// Reprint queues a copy of a finished job. ENOTFOUND, ECONFLICT while the
// original is queued or sending.
func (s *PrintJobService) Reprint(ctx context.Context, jobID, requestID string) (*pickwave.PrintJob, bool, error) {
	return s.queue(ctx, "/api/v1/print-jobs/"+seg(jobID)+"/reprint", requestID)
}

// CancelPrint cancels a queued job; ENOTFOUND, ECONFLICT once sending.
func (s *PrintJobService) CancelPrint(ctx context.Context, jobID string) (*pickwave.PrintJob, error) {
	var job pickwave.PrintJob
	if err := s.c.do(ctx, call{method: "POST", path: "/api/v1/print-jobs/" + seg(jobID) + "/cancel", out: &job}); err != nil {
		return nil, err
	}
	return &job, nil
}

// PrintJob returns one job; ENOTFOUND.
func (s *PrintJobService) PrintJob(ctx context.Context, id string) (*pickwave.PrintJob, error) {
	var job pickwave.PrintJob
	if err := s.c.do(ctx, call{method: "GET", path: "/api/v1/print-jobs/" + seg(id), out: &job}); err != nil {
		return nil, err
	}
	return &job, nil
}

// PrintJobs lists one page of jobs, newest first, of one station or all.
// EINVALID for an unknown status.
func (s *PrintJobService) PrintJobs(ctx context.Context, f pickwave.PrintJobFilter) ([]*pickwave.PrintJob, error) {
	path := "/api/v1/print-jobs"
	if f.StationID != "" {
		path = "/api/v1/stations/" + seg(f.StationID) + "/print-jobs"
	}
	q := pageQuery(f.After, f.Limit)
	if f.Status != "" {
		q.Set("status", string(f.Status))
	}
	var p pageOf[*pickwave.PrintJob]
	if err := s.c.do(ctx, call{method: "GET", path: path, query: q, out: &p}); err != nil {
		return nil, err
	}
	return p.Items, nil
}
