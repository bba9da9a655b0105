package server

import (
	"context"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/handheld"
)

// The supervisor's hold on carts: cancel the rest of a wave, take a cart
// off a picker, give it to another, and see how far each cart has got.
// The store commits each change; then the pickers concerned are told on
// their handhelds with a fresh prompt carrying a notice, so that a cart
// taken away mid-pick leaves the handheld on "take a cart", not on a task
// it can no longer scan.

// cartRoutes registers the cart and cancel-rest routes.
func (s *Server) cartRoutes(api *gin.RouterGroup) {
	api.GET("/carts", s.allow(managers...), s.listActiveCarts)
	api.POST("/carts/:id/unassign", s.allow(managers...), s.unassignCart)
	api.POST("/carts/:id/assign", s.allow(managers...), s.assignCart)
	api.GET("/waves/:id/carts", s.allow(managers...), s.listWaveCarts)
	api.POST("/waves/:id/cancel-rest", s.allow(managers...), s.cancelRest)
}

func (s *Server) listActiveCarts(c *gin.Context) {
	carts, err := s.Waves.ActiveCarts(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": carts})
}

func (s *Server) listWaveCarts(c *gin.Context) {
	carts, err := s.Waves.WaveCarts(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": carts})
}

func (s *Server) cancelRest(c *gin.Context) {
	ctx := c.Request.Context()
	res, err := s.Waves.CancelRest(ctx, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	by := session(c).User
	for _, picker := range res.Pickers {
		s.tellPicker(ctx, picker, fmt.Sprintf("%s cancelled the orders of wave %s not yet started: they are off your cart.", by, res.Wave.ID))
	}
	c.JSON(http.StatusOK, res)
}

func (s *Server) unassignCart(c *gin.Context) {
	ctx := c.Request.Context()
	ch, err := s.Waves.UnassignCart(ctx, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if ch.Changed && ch.From != "" {
		s.tellPicker(ctx, ch.From, fmt.Sprintf("%s took cart %s off you; what you picked stays on it.", session(c).User, ch.Cart.ID))
	}
	c.JSON(http.StatusOK, ch)
}

type assignRequest struct {
	Picker string `json:"picker"`
}

func (s *Server) assignCart(c *gin.Context) {
	var req assignRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	ch, err := s.Waves.AssignCart(ctx, c.Param("id"), req.Picker)
	if err != nil {
		s.fail(c, err)
		return
	}
	if ch.Changed {
		by := session(c).User
		if ch.From != "" {
			s.tellPicker(ctx, ch.From, fmt.Sprintf("%s gave cart %s to %s; what you picked stays on it.", by, ch.Cart.ID, ch.To))
		}
		s.tellPicker(ctx, ch.To, fmt.Sprintf("%s gave you cart %s.", by, ch.Cart.ID))
	}
	c.JSON(http.StatusOK, ch)
}

// tellPicker sends the picker's handheld, when it has a session, its
// prompt as it is now with a notice. The session's turn is taken for
// writing: a verdict or prompt read from the store before this change
// is sequenced before this prompt, never after it.
func (s *Server) tellPicker(ctx context.Context, picker, notice string) {
	sess := s.handhelds.session(picker)
	if sess == nil {
		return // told when it next logs in: its prompt says where it is
	}
	sess.turn.Lock()
	defer sess.turn.Unlock()
	p, err := s.Picks.Prompt(pickwave.WithActor(context.WithoutCancel(ctx), picker), picker)
	switch {
	case pickwave.ErrorCode(err) == pickwave.ENOTFOUND:
		p = &pickwave.Prompt{} // no cart: the handheld goes back to "take a cart"
	case err != nil:
		s.logger.Error("tell a picker of a cart change", "picker", picker, "err", err)
		return
	}
	p.Notice = notice
	sess.push(handheld.ServerMessage{Type: handheld.TypePrompt, Prompt: p})
}
