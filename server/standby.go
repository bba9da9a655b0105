package server

import (
	"encoding/json"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pickwave/pickwave"
)

// LeaderHeader names the response header by which a standby tells a
// client the base URL of the server that leads (see Standby).
const LeaderHeader = "X-Pickwave-Leader"

// Standby is the HTTP handler of a Pickwave process that does not lead: in
// a highly available pair, the other process serves and this one waits to
// take over. It does nothing and touches no store. It answers
//
//   - GET /healthz with 200 {"status":"standby","leader":URL} (leader
//     left out while unknown), so a supervisor sees the process is alive;
//   - GET /metrics with Metrics, when set: the standby's own process
//     metrics, served without a session because a standby cannot check
//     one;
//   - everything else, /readyz, the API, the pages and websocket upgrades
//     alike, with 503 unavailable, Retry-After: 1 and LeaderHeader naming
//     the leader, so a load balancer takes the node out and a client
//     (client.WithServers, handheld.Options.Servers, the web pages) sends
//     the same request to the leader: a standby did nothing, so sending it
//     again is safe.
type Standby struct {
	// Leader returns the leader's base URL ("http://host:port"), or ""
	// while no leader is known. It is called on every request, so it must
	// be cheap and safe for concurrent use. Nil means never known.
	Leader func() string
	// Metrics is what GET /metrics serves; nil answers it 503 like the
	// rest.
	Metrics prometheus.Gatherer
}

// ServeHTTP answers one request as a standby.
func (s *Standby) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	leader := ""
	if s.Leader != nil {
		leader = s.Leader()
	}
	switch {
	case r.URL.Path == "/healthz" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		writeJSONAnswer(w, http.StatusOK, standbyHealth{Status: "standby", Leader: leader})
		return
	case r.URL.Path == "/metrics" && r.Method == http.MethodGet && s.Metrics != nil:
		promhttp.HandlerFor(s.Metrics, promhttp.HandlerOpts{}).ServeHTTP(w, r)
		return
	}
	msg := "This server is a standby and the leading server is not known yet: nothing was done. Try again in a second."
	if leader != "" {
		w.Header().Set(LeaderHeader, leader)
		msg = "This server is a standby: nothing was done. Send the request to the leading server, " + leader + "."
	}
	setRetryAfter(w.Header())
	writeError(w, http.StatusServiceUnavailable, pickwave.Errorf(pickwave.EUNAVAILABLE, "%s", msg))
}

// standbyHealth is the body of a standby's /healthz.
type standbyHealth struct {
	Status string `json:"status"`
	Leader string `json:"leader,omitempty"`
}

// writeError writes err in the JSON error shape with status, for handlers
// outside gin (the standby, refused websocket handshakes).
func writeError(w http.ResponseWriter, status int, err error) {
	writeJSONAnswer(w, status, errorBody{Error: errorDetail{
		Code: pickwave.ErrorCode(err), Message: pickwave.ErrorMessage(err), Details: pickwave.ErrorDetails(err)}})
}

// writeJSONAnswer writes v as a JSON answer with status. An error writing it
// means the client went away: there is no one left to tell.
func writeJSONAnswer(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
