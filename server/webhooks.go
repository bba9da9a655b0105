package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/pickwave/pickwave"
)

// Webhooks: an admin subscribes a shop's or mail system's URL to order
// events; supervisors may look at them and at their deliveries. The
// webhook package sends them; these routes only manage the store's
// records (docs/webhooks.md).

// webhookRoutes registers the webhook API.
func (s *Server) webhookRoutes(api *gin.RouterGroup) {
	api.GET("/webhooks", s.allow(managers...), s.webhooks(s.listWebhooks))
	api.POST("/webhooks", s.allow(adminOnly...), s.webhooks(s.createWebhook))
	api.GET("/webhooks/:id", s.allow(managers...), s.webhooks(s.getWebhook))
	api.PUT("/webhooks/:id", s.allow(adminOnly...), s.webhooks(s.putWebhook))
	api.DELETE("/webhooks/:id", s.allow(adminOnly...), s.webhooks(s.deleteWebhook))
	api.GET("/webhooks/:id/deliveries", s.allow(managers...), s.webhooks(s.listDeliveries))
	api.GET("/webhook-deliveries/:id", s.allow(managers...), s.webhooks(s.getDelivery))
	api.POST("/webhook-deliveries/:id/replay", s.allow(adminOnly...), s.webhooks(s.replayDelivery))
}

// webhooks fails the request when the server was built without the
// webhook service, and runs h otherwise.
func (s *Server) webhooks(h gin.HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		if s.Webhooks == nil {
			s.fail(c, pickwave.Errorf(pickwave.EUNAVAILABLE, "Webhooks are not set up on this server."))
			return
		}
		h(c)
	}
}

func (s *Server) listWebhooks(c *gin.Context) {
	after, limit, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	hooks, err := s.Webhooks.Webhooks(c.Request.Context(), after, limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, newPage(hooks, limit, func(w *pickwave.Webhook) string { return w.ID }))
}

// createWebhook answers with the secret: the only time it is shown.
func (s *Server) createWebhook(c *gin.Context) {
	var in pickwave.WebhookInput
	if err := bindJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	w, err := s.Webhooks.CreateWebhook(c.Request.Context(), in)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, w)
}

func (s *Server) getWebhook(c *gin.Context) {
	w, err := s.Webhooks.Webhook(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, w)
}

func (s *Server) putWebhook(c *gin.Context) {
	var in pickwave.WebhookInput
	if err := bindJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	w, err := s.Webhooks.UpdateWebhook(c.Request.Context(), c.Param("id"), in)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, w)
}

func (s *Server) deleteWebhook(c *gin.Context) {
	if err := s.Webhooks.DeleteWebhook(c.Request.Context(), c.Param("id")); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) listDeliveries(c *gin.Context) {
	after, limit, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	f := pickwave.DeliveryFilter{WebhookID: c.Param("id"), Status: pickwave.DeliveryStatus(c.Query("status")), After: after, Limit: limit}
	ds, err := s.Webhooks.WebhookDeliveries(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, newPage(ds, limit, func(d *pickwave.WebhookDelivery) string { return d.ID }))
}

func (s *Server) getDelivery(c *gin.Context) {
	d, err := s.Webhooks.WebhookDelivery(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, d)
}

func (s *Server) replayDelivery(c *gin.Context) {
	d, err := s.Webhooks.ReplayWebhookDelivery(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, d)
}
