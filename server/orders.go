package server

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/ordercsv"
)

func (s *Server) createOrder(c *gin.Context) {
	var in pickwave.OrderInput
	if err := bindJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	o, created, err := s.Orders.CreateOrder(c.Request.Context(), &in)
	if err != nil {
		s.fail(c, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	c.JSON(status, o)
}

func (s *Server) getOrder(c *gin.Context) {
	o, err := s.Orders.Order(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, o)
}

func (s *Server) listOrders(c *gin.Context) {
	after, limit, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	orders, err := s.Orders.Orders(c.Request.Context(), pickwave.OrderFilter{
		Status: pickwave.OrderStatus(c.Query("status")), After: after, Limit: limit})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, newPage(orders, limit, func(o *pickwave.Order) string { return o.ID }))
}

type cancelRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) cancelOrder(c *gin.Context) {
	var req cancelRequest
	if c.Request.ContentLength != 0 {
		if err := bindJSON(c, &req); err != nil {
			s.fail(c, err)
			return
		}
	}
	o, err := s.Orders.CancelOrder(c.Request.Context(), c.Param("id"), req.Reason)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, o)
}

func (s *Server) allocateOrder(c *gin.Context) {
	o, err := s.Orders.AllocateOrder(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, o)
}

// maxImport bounds a CSV import body.
const maxImport = 16 << 20

func (s *Server) importOrders(c *gin.Context) {
	body := http.MaxBytesReader(c.Writer, c.Request.Body, maxImport)
	orders, err := ordercsv.Parse(body)
	if err != nil {
		s.fail(c, err)
		return
	}
	res, err := s.Orders.ImportOrders(c.Request.Context(), orders)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"created": len(res.Created), "existing": len(res.Existing),
		"orders": append(res.Created, res.Existing...)})
}

func (s *Server) listEvents(c *gin.Context) {
	var after uint64
	if v := c.Query("after"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			s.fail(c, &pickwave.Error{Code: pickwave.EINVALID, Message: "Bad paging parameter.",
				Details: []pickwave.FieldError{{Field: "after", Reason: "must be an event sequence number"}}})
			return
		}
		after = n
	}
	_, limit, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	events, err := s.Events.Events(c.Request.Context(), after, limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	next := after
	if len(events) > 0 {
		next = events[len(events)-1].Seq
	}
	if events == nil {
		events = []*pickwave.Event{}
	}
	c.JSON(http.StatusOK, gin.H{"items": events, "next": next})
}
