package server

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/pickwave/pickwave"
)

func (s *Server) getLayout(c *gin.Context) {
	l, err := s.Planner.Layout(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, l)
}

func (s *Server) putLayout(c *gin.Context) {
	var l pickwave.Layout
	if err := bindJSON(c, &l); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.Planner.SetLayout(c.Request.Context(), l); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, l)
}

func (s *Server) planWave(c *gin.Context) {
	var req pickwave.PlanRequest
	if c.Request.ContentLength != 0 {
		if err := bindJSON(c, &req); err != nil {
			s.fail(c, err)
			return
		}
	}
	w, err := s.Planner.PlanWave(c.Request.Context(), req.Template, req.Seed)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, w)
}

type waveFunc func(context.Context, string) (*pickwave.Wave, error)

// waveAction serves a route that acts on one wave; the method is picked
// per request so that the routes can be built before the services are set.
func (s *Server) waveAction(method func(pickwave.WaveService) waveFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		w, err := method(s.Waves)(c.Request.Context(), c.Param("id"))
		if err != nil {
			s.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, w)
	}
}

func (s *Server) listWaves(c *gin.Context) {
	_, limit, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	waves, err := s.Waves.Waves(c.Request.Context(), limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	if waves == nil {
		waves = []*pickwave.Wave{}
	}
	// Each wave's plan is nil ("plan": null): GET /waves/{id} has it.
	c.JSON(http.StatusOK, gin.H{"items": waves})
}

func (s *Server) getCart(c *gin.Context) {
	cart, err := s.Waves.Cart(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	tasks, err := s.Waves.CartTasks(c.Request.Context(), cart.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"cart": cart, "tasks": tasks})
}
