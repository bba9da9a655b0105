package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/websocket"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/labels"
)

// StationRuntime is the running pack stations, as the station routes use
// them; station.Runtime is the one the product runs.
type StationRuntime interface {
	// State returns a station's live state; false when the station is not
	// running.
	State(id string) (pickwave.StationState, bool)
	// Reload applies a station's stored configuration to its devices.
	Reload(ctx context.Context, id string) error
	// Kick wakes a station's print worker after a job was queued.
	Kick(id string)
	// WatchAs checks that the station runs (an error when not, with nothing
	// written), then calls upgrade and streams the station's messages to
	// the websocket it returns; the runtime owns the connection from then
	// on. user is the session's: pack scans it sends on the socket are
	// judged for it.
	WatchAs(id, user string, upgrade func() (*websocket.Conn, error)) error
}

// stationUsers may use pack stations; only admins configure them.
var stationUsers = []pickwave.Role{pickwave.RolePacker, pickwave.RoleSupervisor, pickwave.RoleAdmin}

// stationRoutes registers the pack-station API and websocket.
func (s *Server) stationRoutes(r *gin.Engine, api *gin.RouterGroup) {
	api.GET("/stations", s.allow(stationUsers...), s.listStations)
	api.POST("/stations", s.allow(adminOnly...), s.createStation)
	api.GET("/stations/:id", s.allow(stationUsers...), s.getStation)
	api.PUT("/stations/:id", s.allow(adminOnly...), s.putStation)
	api.POST("/stations/:id/test-label", s.allow(stationUsers...), s.testLabel)
	api.GET("/stations/:id/print-jobs", s.allow(stationUsers...), s.listStationPrintJobs)
	api.GET("/print-jobs", s.allow(stationUsers...), s.listPrintJobs)
	api.GET("/print-jobs/:id", s.allow(stationUsers...), s.getPrintJob)
	api.POST("/print-jobs/:id/reprint", s.allow(stationUsers...), s.reprint)
	api.POST("/print-jobs/:id/cancel", s.allow(stationUsers...), s.cancelPrint)
	r.GET("/ws/station/:id", s.authenticate, s.allow(stationUsers...), s.stationSocket)
}

// stationsConfigured fails the request when the server was built without
// the station services.
func (s *Server) stationsConfigured(c *gin.Context) bool {
	if s.Stations == nil || s.PrintQueue == nil {
		s.fail(c, pickwave.Errorf(pickwave.EUNAVAILABLE, "Pack stations are not set up on this server."))
		return false
	}
	return true
}

// stationView is a station with its live state (null while the station
// runtime is not running).
type stationView struct {
	*pickwave.Station
	State *pickwave.StationState `json:"state"`
}

func (s *Server) view(st *pickwave.Station) stationView {
	v := stationView{Station: st}
	if s.StationRuntime != nil {
		if state, ok := s.StationRuntime.State(st.ID); ok {
			v.State = &state
		}
	}
	return v
}

// stationRequest is the body of POST and PUT. It takes the shape GET
// returns, so a fetched station can be changed and sent back: its times
// and state are ignored.
type stationRequest struct {
	pickwave.Station
	State json.RawMessage `json:"state"`
}

func (s *Server) createStation(c *gin.Context) {
	if !s.stationsConfigured(c) {
		return
	}
	var req stationRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	st := &req.Station
	if err := s.Stations.CreateStation(c.Request.Context(), st); err != nil {
		s.fail(c, err)
		return
	}
	s.reloadStation(c, st.ID)
	c.JSON(http.StatusCreated, s.view(st))
}

func (s *Server) putStation(c *gin.Context) {
	if !s.stationsConfigured(c) {
		return
	}
	var req stationRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	id := c.Param("id")
	if req.ID == "" {
		req.ID = id
	}
	if req.ID != id {
		s.fail(c, &pickwave.Error{Code: pickwave.EINVALID, Message: "The station id in the body differs from the one in the path.",
			Details: []pickwave.FieldError{{Field: "id", Reason: "must be " + id + " or absent"}}})
		return
	}
	st, err := s.Stations.UpdateStation(c.Request.Context(), &req.Station)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.reloadStation(c, st.ID)
	c.JSON(http.StatusOK, s.view(st))
}

// reloadStation applies a stored change to the running devices. The
// change is stored either way; a failure here is logged, and the station
// runs with the new configuration at the next start.
func (s *Server) reloadStation(c *gin.Context, id string) {
	if s.StationRuntime == nil {
		return
	}
	if err := s.StationRuntime.Reload(c.Request.Context(), id); err != nil {
		s.logger.Error("station reload", "station", id, "err", err)
	}
}

func (s *Server) getStation(c *gin.Context) {
	if !s.stationsConfigured(c) {
		return
	}
	st, err := s.Stations.Station(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, s.view(st))
}

func (s *Server) listStations(c *gin.Context) {
	if !s.stationsConfigured(c) {
		return
	}
	after, limit, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	list, err := s.Stations.Stations(c.Request.Context(), after, limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	views := make([]stationView, len(list))
	for i, st := range list {
		views[i] = s.view(st)
	}
	c.JSON(http.StatusOK, newPage(views, limit, func(v stationView) string { return v.ID }))
}

// printRequest is the optional body of the routes that queue a job.
type printRequest struct {
	RequestID string `json:"request_id"`
}

// requestID reads a client's idempotency key from the Idempotency-Key
// header or the request_id body field; "" when there is none.
func requestID(c *gin.Context) (string, error) {
	var req printRequest
	if c.Request.ContentLength != 0 {
		if err := bindJSON(c, &req); err != nil {
			return "", err
		}
	}
	header := c.GetHeader("Idempotency-Key")
	if header != "" && req.RequestID != "" && header != req.RequestID {
		return "", &pickwave.Error{Code: pickwave.EINVALID, Message: "The Idempotency-Key header and request_id differ.",
			Details: []pickwave.FieldError{{Field: "request_id", Reason: "must equal the Idempotency-Key header, or be absent"}}}
	}
	id := req.RequestID
	if id == "" {
		id = header
	}
	return id, pickwave.ValidateRequestID("request_id", id)
}

// queued answers a queued job: 201 when this request created it, 200 when
// it repeats one that did.
func (s *Server) queued(c *gin.Context, job *pickwave.PrintJob, created bool) {
	if s.StationRuntime != nil {
		s.StationRuntime.Kick(job.StationID)
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	c.JSON(status, job)
}

func (s *Server) testLabel(c *gin.Context) {
	if !s.stationsConfigured(c) {
		return
	}
	req, err := requestID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	st, err := s.Stations.Station(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if st.Printer == nil {
		s.fail(c, pickwave.Errorf(pickwave.ECONFLICT, "Station %s has no printer.", st.ID))
		return
	}
	job, created, err := s.PrintQueue.EnqueuePrint(c.Request.Context(), &pickwave.PrintJob{
		StationID: st.ID, Kind: pickwave.PrintKindTest, RequestID: req,
		ZPL: string(labels.Test(st.Name, st.Printer.DPI, time.Now()))})
	if err != nil {
		s.fail(c, err)
		return
	}
	s.queued(c, job, created)
}

func (s *Server) reprint(c *gin.Context) {
	if !s.stationsConfigured(c) {
		return
	}
	req, err := requestID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	job, created, err := s.PrintQueue.Reprint(c.Request.Context(), c.Param("id"), req)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.queued(c, job, created)
}

func (s *Server) cancelPrint(c *gin.Context) {
	if !s.stationsConfigured(c) {
		return
	}
	job, err := s.PrintQueue.CancelPrint(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, job)
}

func (s *Server) getPrintJob(c *gin.Context) {
	if !s.stationsConfigured(c) {
		return
	}
	job, err := s.PrintQueue.PrintJob(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, job)
}

func (s *Server) listStationPrintJobs(c *gin.Context) { s.printJobs(c, c.Param("id")) }

func (s *Server) listPrintJobs(c *gin.Context) { s.printJobs(c, "") }

// printJobs lists jobs newest first, of one station or all.
func (s *Server) printJobs(c *gin.Context, station string) {
	if !s.stationsConfigured(c) {
		return
	}
	after, limit, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	jobs, err := s.PrintQueue.PrintJobs(c.Request.Context(), pickwave.PrintJobFilter{
		StationID: station, Status: pickwave.PrintStatus(c.Query("status")), After: after, Limit: limit})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, newPage(jobs, limit, func(j *pickwave.PrintJob) string { return j.ID }))
}

// stationSocket serves /ws/station/{id}. The session was checked on the
// upgrade request (bearer token or the session cookie the browser sends
// by itself); a token in the query string is not taken, since URLs end
// up in logs and browser history. The station runtime checks the
// station, then owns the connection; the messages are in
// docs/protocol.md.
func (s *Server) stationSocket(c *gin.Context) {
	if s.StationRuntime == nil {
		s.fail(c, pickwave.Errorf(pickwave.EUNAVAILABLE, "Pack stations are not set up on this server."))
		return
	}
	sess, station := session(c), c.Param("id")
	upgrade := func() (*websocket.Conn, error) {
		up := stationUpgrader
		up.CheckOrigin = s.stationOrigin
		ws, err := up.Upgrade(c.Writer, c.Request, nil)
		if err == nil {
			// Listed among the devices, and closed when its session is
			// logged out or a supervisor signs it out.
			s.devices.addStation(&stationConn{ws: ws, token: requestToken(c.Request), info: Device{
				ID: "st-" + newSessionID(), Kind: deviceStation, User: sess.User, Role: sess.Role, Station: station,
				Remote: remoteHost(c.Request.RemoteAddr), UserAgent: truncate(c.Request.UserAgent(), 200), ConnectedAt: time.Now()}})
		}
		return ws, err
	}
	if err := s.StationRuntime.WatchAs(station, sess.User, upgrade); err != nil {
		s.fail(c, err)
	}
}

// stationUpgrader accepts websocket connections from the server's own
// pages (and from clients that are not browsers, which send no Origin): a
// page on another site must not use the packer's session cookie.
var stationUpgrader = websocket.Upgrader{
	ReadBufferSize:  1024,
	WriteBufferSize: 1024,
	CheckOrigin:     stationOrigin,
	Error:           upgradeError,
}

func stationOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// stationOrigin is the package's stationOrigin, and also the origins of
// the server's peers, whose pages fail over to this server.
func (s *Server) stationOrigin(r *http.Request) bool {
	if stationOrigin(r) {
		return true
	}
	u, err := url.Parse(r.Header.Get("Origin"))
	return err == nil && s.peerOrigin(u)
}

// peerOrigin says whether origin is the origin of one of the server's
// peers: same scheme and host (with port).
func (s *Server) peerOrigin(origin *url.URL) bool {
	for _, p := range s.Peers {
		u, err := url.Parse(p)
		if err == nil && u.Host != "" && strings.EqualFold(u.Scheme, origin.Scheme) && strings.EqualFold(u.Host, origin.Host) {
			return true
		}
	}
	return false
}

// upgradeError writes a refused handshake in the JSON error shape.
func upgradeError(w http.ResponseWriter, _ *http.Request, status int, reason error) {
	code := pickwave.EINVALID
	if status == http.StatusForbidden {
		code = pickwave.EFORBIDDEN
	}
	writeError(w, status, pickwave.Errorf(code, "Websocket handshake refused: %s.", reason.Error()))
}
