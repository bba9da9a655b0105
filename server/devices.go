package server

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/websocket"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/handheld"
)

// Who is logged in on which device: the handheld sockets (the handheld
// hub has them) and the pack stations' sockets (kept here, since the
// station runtime owns those connections once upgraded), and a forced
// logout that ends the device's session and closes its socket.

// Device is one live connection as the device list shows it.
type Device struct {
	ID          string        `json:"id"`
	Kind        string        `json:"kind"` // "handheld" or "station"
	User        string        `json:"user"`
	Role        pickwave.Role `json:"role,omitempty"`
	Device      string        `json:"device,omitempty"`  // a handheld's own name
	Station     string        `json:"station,omitempty"` // a station socket's station
	Cart        string        `json:"cart,omitempty"`    // the cart its picker has
	Remote      string        `json:"remote"`
	UserAgent   string        `json:"user_agent,omitempty"`
	ConnectedAt time.Time     `json:"connected_at"`
	LastSeen    *time.Time    `json:"last_seen,omitempty"`
	// SignedOut is set in the answer to a forced logout.
	SignedOut bool `json:"signed_out,omitempty"`
}

// StationSignIn is who is signed in at a station's pack bench.
type StationSignIn struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Packer string `json:"packer"` // "" for nobody
}

// Device kinds.
const (
	deviceHandheld = "handheld"
	deviceStation  = "station"
)

// signedOutKept is how many forced logouts are remembered, so that a
// retried one is answered as the first was.
const signedOutKept = 256

// stationConn is a station socket the server upgraded.
type stationConn struct {
	info  Device
	token string
	ws    *websocket.Conn
}

// deviceRegistry keeps the station sockets and the forced logouts done.
// The station runtime owns a station socket and says nothing when it
// ends, so an entry is checked with a ping when the list is read (and
// when it grows): a closed socket fails it and is forgotten.
type deviceRegistry struct {
	mu        sync.Mutex
	stations  map[string]*stationConn
	pruneAt   int
	signedOut []Device // the newest last
}

func newDeviceRegistry() *deviceRegistry {
	return &deviceRegistry{stations: map[string]*stationConn{}, pruneAt: 64}
}

// addStation records a station socket.
func (r *deviceRegistry) addStation(sc *stationConn) {
	r.mu.Lock()
	r.stations[sc.info.ID] = sc
	grow := len(r.stations) >= r.pruneAt
	r.mu.Unlock()
	if grow {
		live := len(r.liveStations())
		r.mu.Lock()
		r.pruneAt = max(64, 2*live)
		r.mu.Unlock()
	}
}

// liveStations returns the station sockets still open, forgetting those
// that are not.
func (r *deviceRegistry) liveStations() []*stationConn {
	r.mu.Lock()
	all := make([]*stationConn, 0, len(r.stations))
	for _, sc := range r.stations {
		all = append(all, sc)
	}
	r.mu.Unlock()
	var live []*stationConn
	for _, sc := range all {
		// WriteControl may be called beside the runtime's writer; on a
		// socket the runtime has closed it fails at once.
		if err := sc.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(time.Second)); err != nil {
			r.mu.Lock()
			delete(r.stations, sc.info.ID)
			r.mu.Unlock()
			continue
		}
		live = append(live, sc)
	}
	return live
}

// takeStation removes a station socket and returns it, nil when unknown.
func (r *deviceRegistry) takeStation(id string) *stationConn {
	r.mu.Lock()
	defer r.mu.Unlock()
	sc := r.stations[id]
	delete(r.stations, id)
	return sc
}

// stationsWithToken returns the station sockets opened with token.
func (r *deviceRegistry) stationsWithToken(token string) []*stationConn {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*stationConn
	for id, sc := range r.stations {
		if sc.token == token {
			out = append(out, sc)
			delete(r.stations, id)
		}
	}
	return out
}

func (r *deviceRegistry) rememberSignedOut(d Device) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.signedOut = append(r.signedOut, d)
	if len(r.signedOut) > signedOutKept {
		r.signedOut = slices.Delete(r.signedOut, 0, len(r.signedOut)-signedOutKept)
	}
}

func (r *deviceRegistry) wasSignedOut(id string) (Device, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, d := range r.signedOut {
		if d.ID == id {
			return d, true
		}
	}
	return Device{}, false
}

// handheldDevices lists the handheld connections that have logged in.
func (h *handheldHub) devices() ([]Device, map[string]*handheldConn) {
	h.mu.Lock()
	conns := make([]*handheldConn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	var out []Device
	byID := map[string]*handheldConn{}
	for _, c := range conns {
		c.infoMu.Lock()
		d := Device{ID: c.id, Kind: deviceHandheld, Device: c.device, Remote: c.remote, UserAgent: c.agent, ConnectedAt: c.since}
		if c.who != nil {
			d.User, d.Role = c.who.User, c.who.Role
		}
		if !c.lastSeen.IsZero() {
			seen := c.lastSeen
			d.LastSeen = &seen
		}
		c.infoMu.Unlock()
		if d.User == "" {
			continue // not logged in: nobody to sign out
		}
		out = append(out, d)
		byID[c.id] = c
	}
	return out, byID
}

// tokenOf returns the session token a connection logged in with.
func (h *handheldHub) tokenOf(c *handheldConn) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.tokens[c]
}

func (s *Server) deviceRoutes(api *gin.RouterGroup) {
	api.GET("/devices", s.allow(managers...), s.listDevices)
	api.POST("/devices/:id/logout", s.allow(managers...), s.forceLogout)
}

func (s *Server) listDevices(c *gin.Context) {
	ctx := c.Request.Context()
	items, _ := s.handhelds.devices()
	carts, err := s.Waves.ActiveCarts(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	cartOf := map[string]string{}
	for _, cart := range carts {
		if cart.Picker != "" {
			cartOf[cart.Picker] = cart.ID
		}
	}
	for i := range items {
		items[i].Cart = cartOf[items[i].User]
	}
	for _, sc := range s.devices.liveStations() {
		items = append(items, sc.info)
	}
	slices.SortFunc(items, func(a, b Device) int {
		if d := strings.Compare(a.Kind, b.Kind); d != 0 {
			return d
		}
		if d := strings.Compare(a.User, b.User); d != 0 {
			return d
		}
		return a.ConnectedAt.Compare(b.ConnectedAt)
	})
	stations := []StationSignIn{}
	if s.Stations != nil {
		list, err := s.Stations.Stations(ctx, "", 1000)
		if err != nil {
			s.fail(c, err)
			return
		}
		for _, st := range list {
			in := StationSignIn{ID: st.ID, Name: st.Name}
			if s.StationRuntime != nil {
				if state, ok := s.StationRuntime.State(st.ID); ok && state.Pack != nil {
					in.Packer = state.Pack.Packer
				}
			}
			stations = append(stations, in)
		}
	}
	if items == nil {
		items = []Device{}
	}
	c.JSON(http.StatusOK, gin.H{"items": items, "stations": stations})
}

// forceLogout ends a device's session: its token is logged out, so it no
// longer opens anything, and its socket is closed with code 4003 (and
// every other socket opened with the same token). A retry is answered as
// the first logout was.
func (s *Server) forceLogout(c *gin.Context) {
	id := c.Param("id")
	ctx := c.Request.Context()
	if d, ok := s.devices.wasSignedOut(id); ok {
		c.JSON(http.StatusOK, d)
		return
	}
	var (
		d     Device
		token string
	)
	list, handhelds := s.handhelds.devices()
	if hc := handhelds[id]; hc != nil {
		token = s.handhelds.tokenOf(hc)
		for _, x := range list {
			if x.ID == id {
				d = x
			}
		}
		if token == "" {
			// Logged in some other way than a token of its own: close it.
			hc.closeWith(handheld.CloseSignedOut, "signed out by "+session(c).User)
		}
	} else if sc := s.devices.takeStation(id); sc != nil {
		d, token = sc.info, sc.token
		closeStationSocket(s.logger, sc, "signed out by "+session(c).User)
	} else {
		s.fail(c, pickwave.Errorf(pickwave.ENOTFOUND, "No device %s is connected.", truncate(id, 80)))
		return
	}
	ev := pickwave.DeviceSignOut{Device: d.ID, Kind: d.Kind, User: d.User, Name: d.Device, Station: d.Station}
	var err error
	if so, ok := s.Users.(deviceSignOuts); ok {
		err = so.SignOutDevice(ctx, token, ev)
	} else if token != "" {
		err = s.Users.Logout(ctx, token)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if token != "" {
		s.signOutToken(token, "signed out by "+session(c).User)
	}
	d.SignedOut = true
	s.devices.rememberSignedOut(d)
	s.logger.Info("device signed out by a supervisor", "device", d.ID, "kind", d.Kind, "user", d.User, "by", session(c).User)
	c.JSON(http.StatusOK, d)
}

// deviceSignOuts ends a session and logs that a supervisor did it, in
// one transaction (the store does); a UserService without it only
// logs the token out.
type deviceSignOuts interface {
	SignOutDevice(ctx context.Context, token string, d pickwave.DeviceSignOut) error
}

// signOutToken closes every socket opened with a token that was logged
// out, with close code 4003 and reason.
func (s *Server) signOutToken(token, reason string) {
	s.handhelds.signOut(token, reason)
	for _, sc := range s.devices.stationsWithToken(token) {
		closeStationSocket(s.logger, sc, reason)
	}
}

// closeStationSocket sends a station socket the close frame of a signed
// out session and closes it; the station runtime's pumps then end.
func closeStationSocket(logger *slog.Logger, sc *stationConn, reason string) {
	msg := websocket.FormatCloseMessage(handheld.CloseSignedOut, truncate(reason, 100))
	if err := sc.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second)); err != nil {
		logger.Debug("station socket close frame", "device", sc.info.ID, "err", err) // it may be gone already
	}
	if err := sc.ws.Close(); err != nil {
		logger.Debug("station socket close", "device", sc.info.ID, "err", err)
	}
}
