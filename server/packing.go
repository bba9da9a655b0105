package server

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/pickwave/pickwave"
)

// PackRuntime is the pack flow of the running stations, as the pack
// routes use it; station.Runtime is the one the product runs.
type PackRuntime interface {
	PackSession(ctx context.Context, station string) (*pickwave.PackSession, error)
	PackSignIn(ctx context.Context, station, user string) (*pickwave.PackSession, error)
	PackSignOut(ctx context.Context, station string) (*pickwave.PackSession, error)
	PackScan(ctx context.Context, station string, req pickwave.PackScanRequest) (*pickwave.PackScanResult, error)
	PackClosePackage(ctx context.Context, station, requestID string) (*pickwave.PackSession, error)
	PackOverride(ctx context.Context, station, reason, requestID string) (*pickwave.PackSession, error)
	PackCancel(ctx context.Context, station string) (*pickwave.PackSession, error)
	// PackageLabel writes a PNG preview of a package's label.
	PackageLabel(ctx context.Context, shipmentID string, n int, w io.Writer) error
	// PackingSlip writes an order's packing slip as a printable HTML page.
	PackingSlip(ctx context.Context, orderID string, w io.Writer) error
	// CloseManifest closes the carrier's manifest of the packed packages
	// and marks them shipped.
	CloseManifest(ctx context.Context) (*pickwave.Manifest, []*pickwave.OrderShipment, error)
}

// Who may do what at the pack bench and the dock.
var (
	packers      = stationUsers // pack at a station
	overriders   = managers     // release a package held by its weight
	dockScanners = []pickwave.Role{pickwave.RolePacker, pickwave.RoleSupervisor, pickwave.RoleAdmin}
)

// packRoutes registers the pack and shipment routes; the public
// tracking route (track) is registered before authentication.
func (s *Server) packRoutes(api *gin.RouterGroup) {
	api.GET("/stations/:id/pack", s.allow(packers...), s.packSession)
	api.POST("/stations/:id/pack/sign-in", s.allow(packers...), s.packSignIn)
	api.POST("/stations/:id/pack/sign-out", s.allow(packers...), s.packStep(func(r PackRuntime, c *gin.Context) (*pickwave.PackSession, error) {
		return r.PackSignOut(c.Request.Context(), c.Param("id"))
	}))
	api.POST("/stations/:id/pack/scan", s.allow(packers...), s.packScan)
	api.POST("/stations/:id/pack/close-package", s.allow(packers...), s.packStep(func(r PackRuntime, c *gin.Context) (*pickwave.PackSession, error) {
		req, err := requestID(c)
		if err != nil {
			return nil, err
		}
		return r.PackClosePackage(c.Request.Context(), c.Param("id"), req)
	}))
	api.POST("/stations/:id/pack/set-aside", s.allow(packers...), s.packStep(func(r PackRuntime, c *gin.Context) (*pickwave.PackSession, error) {
		return r.PackCancel(c.Request.Context(), c.Param("id"))
	}))
	api.POST("/stations/:id/pack/override", s.allow(overriders...), s.packOverride)

	api.GET("/shipments", s.allow(packers...), s.listShipments)
	api.GET("/shipments/:id", s.allow(packers...), s.getShipment)
	api.GET("/shipments/:id/packages/:n/label", s.allow(packers...), s.packageLabel)
	api.POST("/shipments/:id/packages/:n/void", s.allow(packers...), s.voidPackage)
	api.POST("/shipments/:id/packages/:n/reprint", s.allow(packers...), s.reprintPackage)
	api.POST("/dock/scan", s.allow(dockScanners...), s.dockScan)
	api.GET("/orders/:id/packing-slip", s.allow(packers...), s.packingSlip)
	api.POST("/manifests", s.allow(dockScanners...), s.closeManifest)
}

func (s *Server) packConfigured(c *gin.Context) bool {
	if s.Pack == nil || s.Shipments == nil {
		s.fail(c, pickwave.Errorf(pickwave.EUNAVAILABLE, "Packing is not set up on this server."))
		return false
	}
	return true
}

func (s *Server) packSession(c *gin.Context) {
	if !s.packConfigured(c) {
		return
	}
	ps, err := s.Pack.PackSession(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, ps)
}

func (s *Server) packSignIn(c *gin.Context) {
	if !s.packConfigured(c) {
		return
	}
	ps, err := s.Pack.PackSignIn(c.Request.Context(), c.Param("id"), session(c).User)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, ps)
}

func (s *Server) packStep(fn func(r PackRuntime, c *gin.Context) (*pickwave.PackSession, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !s.packConfigured(c) {
			return
		}
		ps, err := fn(s.Pack, c)
		if err != nil {
			s.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, ps)
	}
}

// signedIn checks that the caller is the packer signed in at the station.
func (s *Server) signedIn(c *gin.Context) bool {
	ps, err := s.Pack.PackSession(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return false
	}
	if user := session(c).User; ps.Packer != user {
		msg := "Sign in at station " + ps.StationID + " first."
		if ps.Packer != "" {
			msg = "Station " + ps.StationID + " is signed in to " + ps.Packer + "."
		}
		s.fail(c, pickwave.Errorf(pickwave.ECONFLICT, "%s", msg))
		return false
	}
	return true
}

func (s *Server) packScan(c *gin.Context) {
	if !s.packConfigured(c) {
		return
	}
	var req pickwave.PackScanRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if req.ID == "" {
		req.ID = c.GetHeader("Idempotency-Key")
	}
	if !s.signedIn(c) {
		return
	}
	res, err := s.Pack.PackScan(c.Request.Context(), c.Param("id"), req)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

// reasonRequest is the body of an override, a void and a reprint.
type reasonRequest struct {
	Reason    string `json:"reason"`
	RequestID string `json:"request_id"`
}

func (s *Server) packOverride(c *gin.Context) {
	if !s.packConfigured(c) {
		return
	}
	var req reasonRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if req.RequestID == "" {
		req.RequestID = c.GetHeader("Idempotency-Key")
	}
	ps, err := s.Pack.PackOverride(c.Request.Context(), c.Param("id"), req.Reason, req.RequestID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, ps)
}

func (s *Server) listShipments(c *gin.Context) {
	if !s.packConfigured(c) {
		return
	}
	after, limit, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	list, err := s.Shipments.Shipments(c.Request.Context(), pickwave.ShipmentFilter{
		Status: pickwave.ShipmentStatus(c.Query("status")), OrderID: c.Query("order_id"), StationID: c.Query("station_id"),
		After: after, Limit: limit})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, newPage(list, limit, func(v *pickwave.OrderShipment) string { return v.ID }))
}

func (s *Server) getShipment(c *gin.Context) {
	if !s.packConfigured(c) {
		return
	}
	sh, err := s.Shipments.Shipment(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, sh)
}

// packageNumber reads the package number from the path.
func packageNumber(c *gin.Context) (int, error) {
	n, err := strconv.Atoi(c.Param("n"))
	if err != nil || n < 1 || n > pickwave.MaxParcels*100 {
		return 0, pickwave.Errorf(pickwave.ENOTFOUND, "No package %s.", pickwave.Clip(c.Param("n")))
	}
	return n, nil
}

// packageRequest reads a package route's number and its reason body; it
// answers the request itself when it returns false.
func (s *Server) packageRequest(c *gin.Context) (n int, req reasonRequest, ok bool) {
	if !s.packConfigured(c) {
		return 0, req, false
	}
	n, err := packageNumber(c)
	if err == nil {
		err = bindJSON(c, &req)
	}
	if err != nil {
		s.fail(c, err)
		return 0, req, false
	}
	return n, req, true
}

func (s *Server) voidPackage(c *gin.Context) {
	n, req, ok := s.packageRequest(c)
	if !ok {
		return
	}
	sh, err := s.Shipments.VoidPackage(c.Request.Context(), c.Param("id"), n, req.Reason)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, sh)
}

// reprintResponse is a reprint's answer: the shipment and the new job.
type reprintResponse struct {
	Shipment *pickwave.OrderShipment `json:"shipment"`
	PrintJob *pickwave.PrintJob      `json:"print_job"`
}

func (s *Server) reprintPackage(c *gin.Context) {
	n, req, ok := s.packageRequest(c)
	if !ok {
		return
	}
	if req.RequestID == "" {
		req.RequestID = c.GetHeader("Idempotency-Key")
	}
	sh, job, created, err := s.Shipments.ReprintPackage(c.Request.Context(), c.Param("id"), n, req.Reason, req.RequestID)
	if err != nil {
		s.fail(c, err)
		return
	}
	if s.StationRuntime != nil {
		s.StationRuntime.Kick(job.StationID)
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	c.JSON(status, reprintResponse{Shipment: sh, PrintJob: job})
}

// dockRequest is a package label scanned at the dock.
type dockRequest struct {
	Data string `json:"data"`
}

// dockResponse is the shipment of the package scanned, and the package.
type dockResponse struct {
	Shipment *pickwave.OrderShipment `json:"shipment"`
	Package  *pickwave.Package       `json:"package"`
}

func (s *Server) dockScan(c *gin.Context) {
	if !s.packConfigured(c) {
		return
	}
	var req dockRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	sh, p, err := s.Shipments.DockScan(c.Request.Context(), req.Data)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, dockResponse{Shipment: sh, Package: p})
}

// track serves a package's public tracking: no session, and nothing
// about who sent or receives it.
func (s *Server) track(c *gin.Context) {
	if s.Shipments == nil {
		s.fail(c, pickwave.Errorf(pickwave.EUNAVAILABLE, "Tracking is not set up on this server."))
		return
	}
	t, err := s.Shipments.Track(c.Request.Context(), c.Param("tracking"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, t)
}

func (s *Server) packageLabel(c *gin.Context) {
	if !s.packConfigured(c) {
		return
	}
	n, err := packageNumber(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var buf bytes.Buffer
	if err := s.Pack.PackageLabel(c.Request.Context(), c.Param("id"), n, &buf); err != nil {
		s.fail(c, err)
		return
	}
	c.Data(http.StatusOK, "image/png", buf.Bytes())
}

func (s *Server) packingSlip(c *gin.Context) {
	if !s.packConfigured(c) {
		return
	}
	var buf bytes.Buffer
	if err := s.Pack.PackingSlip(c.Request.Context(), c.Param("id"), &buf); err != nil {
		s.fail(c, err)
		return
	}
	c.Data(http.StatusOK, "text/html; charset=utf-8", buf.Bytes())
}

// manifestResponse is a closed manifest and the shipments it shipped.
type manifestResponse struct {
	Manifest  *pickwave.Manifest        `json:"manifest"`
	Shipments []*pickwave.OrderShipment `json:"shipments"`
}

func (s *Server) closeManifest(c *gin.Context) {
	if !s.packConfigured(c) {
		return
	}
	m, shipped, err := s.Pack.CloseManifest(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	if shipped == nil {
		shipped = []*pickwave.OrderShipment{}
	}
	c.JSON(http.StatusOK, manifestResponse{Manifest: m, Shipments: shipped})
}
