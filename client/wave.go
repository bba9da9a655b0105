package client

import (
	"context"

	"github.com/pickwave/pickwave"
)

// PlanService reads and sets the layout and plans waves over the API.
type PlanService struct{ c *Client }

var _ pickwave.PlanService = (*PlanService)(nil)

// Layout returns the site layout; ENOTFOUND until one is set.
func (s *PlanService) Layout(ctx context.Context) (pickwave.Layout, error) {
	var l pickwave.Layout
	err := s.c.do(ctx, call{method: "GET", path: "/api/v1/layout", out: &l})
	return l, err
}

// SetLayout stores the layout (admin only); EINVALID.
func (s *PlanService) SetLayout(ctx context.Context, l pickwave.Layout) error {
	return s.c.do(ctx, call{method: "PUT", path: "/api/v1/layout", in: l, out: &pickwave.Layout{}})
}

// PlanWave plans a wave with the template and seed. EINVALID, ENOTFOUND
// without a layout, ECONFLICT when no order matches.
func (s *PlanService) PlanWave(ctx context.Context, tmpl pickwave.WaveTemplate, seed uint64) (*pickwave.Wave, error) {
	var w pickwave.Wave
	in := pickwave.PlanRequest{Template: tmpl, Seed: seed}
	if err := s.c.do(ctx, call{method: "POST", path: "/api/v1/waves", in: in, out: &w}); err != nil {
		return nil, err
	}
	return &w, nil
}

// WaveService runs waves and reads carts over the API.
type WaveService struct{ c *Client }

var _ pickwave.WaveService = (*WaveService)(nil)

func (s *WaveService) wave(ctx context.Context, method, path string) (*pickwave.Wave, error) {
	var w pickwave.Wave
	if err := s.c.do(ctx, call{method: method, path: path, out: &w}); err != nil {
		return nil, err
	}
	return &w, nil
}

// ReleaseWave releases a planned wave; ECONFLICT when its orders changed.
func (s *WaveService) ReleaseWave(ctx context.Context, id string) (*pickwave.Wave, error) {
	return s.wave(ctx, "POST", "/api/v1/waves/"+seg(id)+"/release")
}

// CancelWave gives a wave's orders back; ECONFLICT once picking started.
func (s *WaveService) CancelWave(ctx context.Context, id string) (*pickwave.Wave, error) {
	return s.wave(ctx, "POST", "/api/v1/waves/"+seg(id)+"/cancel")
}

// Wave returns one wave with its plan and progress; ENOTFOUND.
func (s *WaveService) Wave(ctx context.Context, id string) (*pickwave.Wave, error) {
	return s.wave(ctx, "GET", "/api/v1/waves/"+seg(id))
}

// Waves lists waves, newest first, without their plans.
func (s *WaveService) Waves(ctx context.Context, limit int) ([]*pickwave.Wave, error) {
	var res struct {
		Items []*pickwave.Wave `json:"items"`
	}
	if err := s.c.do(ctx, call{method: "GET", path: "/api/v1/waves", query: pageQuery("", limit), out: &res}); err != nil {
		return nil, err
	}
	return res.Items, nil
}

// CartWithTasks returns a cart and its tasks in walking order, in one
// request (GET /api/v1/carts/{id}); ENOTFOUND.
func (s *WaveService) CartWithTasks(ctx context.Context, id string) (*pickwave.Cart, []*pickwave.Task, error) {
	var res struct {
		Cart  *pickwave.Cart   `json:"cart"`
		Tasks []*pickwave.Task `json:"tasks"`
	}
	if err := s.c.do(ctx, call{method: "GET", path: "/api/v1/carts/" + seg(id), out: &res}); err != nil {
		return nil, nil, err
	}
	return res.Cart, res.Tasks, nil
}

// Cart returns one cart; ENOTFOUND.
func (s *WaveService) Cart(ctx context.Context, id string) (*pickwave.Cart, error) {
	cart, _, err := s.CartWithTasks(ctx, id)
	return cart, err
}

// CartTasks returns a cart's tasks in walking order; ENOTFOUND.
func (s *WaveService) CartTasks(ctx context.Context, cartID string) ([]*pickwave.Task, error) {
	_, tasks, err := s.CartWithTasks(ctx, cartID)
	return tasks, err
}

// Task has no route of its own: EMETHOD. A task is read with its cart.
func (s *WaveService) Task(ctx context.Context, id string) (*pickwave.Task, error) {
	return nil, noRoute("WaveService.Task", "read the task with its cart (CartTasks or CartWithTasks)")
}

// CancelRest cancels what has not started of a wave; a retry reports
// nothing more cancelled. ENOTFOUND.
func (s *WaveService) CancelRest(ctx context.Context, id string) (*pickwave.WaveCancellation, error) {
	var res pickwave.WaveCancellation
	if err := s.c.do(ctx, call{method: "POST", path: "/api/v1/waves/" + seg(id) + "/cancel-rest", out: &res}); err != nil {
		return nil, err
	}
	return &res, nil
}

func (s *WaveService) carts(ctx context.Context, path string) ([]*pickwave.CartProgress, error) {
	var res struct {
		Items []*pickwave.CartProgress `json:"items"`
	}
	if err := s.c.do(ctx, call{method: "GET", path: path, out: &res}); err != nil {
		return nil, err
	}
	return res.Items, nil
}

// WaveCarts returns a wave's carts with their progress; ENOTFOUND.
func (s *WaveService) WaveCarts(ctx context.Context, waveID string) ([]*pickwave.CartProgress, error) {
	return s.carts(ctx, "/api/v1/waves/"+seg(waveID)+"/carts")
}

// ActiveCarts returns the carts waiting for a picker or being picked.
func (s *WaveService) ActiveCarts(ctx context.Context) ([]*pickwave.CartProgress, error) {
	return s.carts(ctx, "/api/v1/carts")
}

// UnassignCart takes a cart off its picker; ECONFLICT when it is done.
func (s *WaveService) UnassignCart(ctx context.Context, cartID string) (*pickwave.CartChange, error) {
	var res pickwave.CartChange
	if err := s.c.do(ctx, call{method: "POST", path: "/api/v1/carts/" + seg(cartID) + "/unassign", out: &res}); err != nil {
		return nil, err
	}
	return &res, nil
}

// AssignCart gives a cart to a named picker; EINVALID, ECONFLICT.
func (s *WaveService) AssignCart(ctx context.Context, cartID, picker string) (*pickwave.CartChange, error) {
	var res pickwave.CartChange
	in := map[string]string{"picker": picker}
	if err := s.c.do(ctx, call{method: "POST", path: "/api/v1/carts/" + seg(cartID) + "/assign", in: in, out: &res}); err != nil {
		return nil, err
	}
	return &res, nil
}
