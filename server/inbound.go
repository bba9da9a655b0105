package server

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/inboundcsv"
)

// Inbound notices and receipts: what suppliers announce, and what the
// dock has received against it and not yet put away. Receiving itself is
// handheld work (docs/protocol.md, "Floor work").

func (s *Server) inboundRoutes(api *gin.RouterGroup) {
	api.GET("/inbound", s.allow(managers...), s.inbound(s.listInbound))
	api.POST("/inbound", s.allow(managers...), s.inbound(s.createInbound))
	api.POST("/inbound/import", s.allow(managers...), s.inbound(s.importInbound))
	api.GET("/inbound/:id", s.allow(managers...), s.inbound(s.getInbound))
	api.POST("/inbound/:id/close", s.allow(managers...), s.inbound(s.closeInbound))
	api.GET("/receipts", s.allow(managers...), s.inbound(s.listReceipts))
}

// inbound answers 503 when the server has no inbound service.
func (s *Server) inbound(h gin.HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		if s.Inbound == nil {
			s.fail(c, pickwave.Errorf(pickwave.EUNAVAILABLE, "Receiving is not set up on this server."))
			return
		}
		h(c)
	}
}

func (s *Server) createInbound(c *gin.Context) {
	var in pickwave.InboundInput
	if err := bindJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	n, created, err := s.Inbound.CreateInbound(c.Request.Context(), &in)
	if err != nil {
		s.fail(c, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	c.JSON(status, n)
}

func (s *Server) importInbound(c *gin.Context) {
	body := http.MaxBytesReader(c.Writer, c.Request.Body, maxImport)
	notices, err := inboundcsv.Parse(body)
	if err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.Inbound.ImportInbound(c.Request.Context(), notices)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"notices": out})
}

func (s *Server) getInbound(c *gin.Context) {
	n, err := s.Inbound.Inbound(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, n)
}

func (s *Server) listInbound(c *gin.Context) {
	after, limit, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	list, err := s.Inbound.Inbounds(c.Request.Context(), pickwave.InboundFilter{
		Status: pickwave.InboundStatus(c.Query("status")), After: after, Limit: limit})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, newPage(list, limit, func(n *pickwave.InboundNotice) string { return n.ID }))
}

func (s *Server) closeInbound(c *gin.Context) {
	var in pickwave.InboundClose
	if c.Request.ContentLength != 0 {
		if err := bindJSON(c, &in); err != nil {
			s.fail(c, err)
			return
		}
	}
	n, err := s.Inbound.CloseInbound(c.Request.Context(), c.Param("id"), in)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, n)
}

func (s *Server) listReceipts(c *gin.Context) {
	after, limit, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	all := false
	if v := c.Query("all"); v != "" {
		if all, err = strconv.ParseBool(v); err != nil {
			s.fail(c, &pickwave.Error{Code: pickwave.EINVALID, Message: "Bad query parameter.",
				Details: []pickwave.FieldError{{Field: "all", Reason: "must be true or false"}}})
			return
		}
	}
	list, err := s.Inbound.Receipts(c.Request.Context(), all, after, limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, newPage(list, limit, func(r *pickwave.Receipt) string { return r.ID }))
}
