package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/pickwave/pickwave"
)

// Cycle counts: a short pick raises one and holds the stock row; a
// supervisor counts the shelf and confirms, which sets the stock.

func (s *Server) listCounts(c *gin.Context) {
	after, limit, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	f := pickwave.CountFilter{Status: pickwave.CountStatus(c.Query("status"))}
	counts, err := s.Inventory.Counts(c.Request.Context(), f, after, limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, newPage(counts, limit, func(v *pickwave.CycleCount) string { return v.ID }))
}

func (s *Server) getCount(c *gin.Context) {
	cc, err := s.Inventory.Count(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, cc)
}

func (s *Server) confirmCount(c *gin.Context) {
	var in pickwave.CountConfirmation
	if err := bindJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	cc, err := s.Inventory.ConfirmCount(c.Request.Context(), c.Param("id"), in)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, cc)
}

// requestCount raises a count on demand; the row's open count when it has
// one (200), else a new one (201).
func (s *Server) requestCount(c *gin.Context) {
	var in pickwave.CountRequest
	if err := bindJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	cc, created, err := s.Inventory.RequestCount(c.Request.Context(), in)
	if err != nil {
		s.fail(c, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	c.JSON(status, cc)
}

func (s *Server) countAccuracy(c *gin.Context) {
	a, err := s.Inventory.Accuracy(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, a)
}
