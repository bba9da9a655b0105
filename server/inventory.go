package server

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/pickwave/pickwave"
)

func (s *Server) createSKU(c *gin.Context) {
	var sku pickwave.SKU
	if err := bindJSON(c, &sku); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.Inventory.CreateSKU(c.Request.Context(), &sku); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, &sku)
}

func (s *Server) getSKU(c *gin.Context) {
	sku, err := s.Inventory.SKU(c.Request.Context(), c.Param("code"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, sku)
}

func (s *Server) lookupBarcode(c *gin.Context) {
	sku, bc, err := s.Inventory.SKUByBarcode(c.Request.Context(), c.Param("code"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"sku": sku, "barcode": bc})
}

// page reads the after and limit query parameters of a list route.
func page(c *gin.Context) (after string, limit int, err error) {
	after = c.Query("after")
	limit = defaultPageSize
	if v := c.Query("limit"); v != "" {
		limit, err = strconv.Atoi(v)
		if err != nil || limit < 1 {
			return "", 0, &pickwave.Error{Code: pickwave.EINVALID, Message: "Bad paging parameter.",
				Details: []pickwave.FieldError{{Field: "limit", Reason: "must be a positive whole number"}}}
		}
	}
	// A larger limit is served a page at a time, with the cursor of the
	// next: never cut short without one.
	return after, min(limit, maxPageSize), nil
}

// Page sizes of every list.
const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

// listPage is the JSON shape of a list: the items and the cursor of the
// next page, empty on the last.
type listPage[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

func newPage[T any](items []T, limit int, key func(T) string) listPage[T] {
	p := listPage[T]{Items: items}
	if p.Items == nil {
		p.Items = []T{}
	}
	if limit <= 0 {
		limit = defaultPageSize
	}
	if len(items) >= limit && len(items) > 0 {
		p.Next = key(items[len(items)-1])
	}
	return p
}

func (s *Server) listSKUs(c *gin.Context) {
	after, limit, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	skus, err := s.Inventory.SKUs(c.Request.Context(), after, limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, newPage(skus, limit, func(v *pickwave.SKU) string { return v.Code }))
}

func (s *Server) createLocation(c *gin.Context) {
	var loc pickwave.Location
	if err := bindJSON(c, &loc); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.Inventory.CreateLocation(c.Request.Context(), &loc); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, &loc)
}

func (s *Server) getLocation(c *gin.Context) {
	loc, err := s.Inventory.Location(c.Request.Context(), c.Param("code"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, loc)
}

func (s *Server) listLocations(c *gin.Context) {
	after, limit, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	locs, err := s.Inventory.Locations(c.Request.Context(), after, limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, newPage(locs, limit, func(v *pickwave.Location) string { return v.Code }))
}

func (s *Server) adjustStock(c *gin.Context) {
	var adj pickwave.Adjustment
	if err := bindJSON(c, &adj); err != nil {
		s.fail(c, err)
		return
	}
	st, err := s.Inventory.AdjustStock(c.Request.Context(), &adj)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, st)
}

func (s *Server) listStock(c *gin.Context) {
	code := c.Query("sku")
	if code == "" {
		s.fail(c, &pickwave.Error{Code: pickwave.EINVALID, Message: "Say which SKU.",
			Details: []pickwave.FieldError{{Field: "sku", Reason: "query parameter is required"}}})
		return
	}
	rows, err := s.Inventory.StockOf(c.Request.Context(), code)
	if err != nil {
		s.fail(c, err)
		return
	}
	if rows == nil {
		rows = []*pickwave.Stock{}
	}
	c.JSON(http.StatusOK, gin.H{"sku": code, "items": rows})
}

func (s *Server) setPickFace(c *gin.Context) {
	var face pickwave.PickFace
	if err := bindJSON(c, &face); err != nil {
		s.fail(c, err)
		return
	}
	loc, err := s.Inventory.SetPickFace(c.Request.Context(), c.Param("code"), &face)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, loc)
}

func (s *Server) clearPickFace(c *gin.Context) {
	loc, err := s.Inventory.SetPickFace(c.Request.Context(), c.Param("code"), nil)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, loc)
}

func (s *Server) setReorder(c *gin.Context) {
	var r pickwave.Reorder
	if err := bindJSON(c, &r); err != nil {
		s.fail(c, err)
		return
	}
	sku, err := s.Inventory.SetReorder(c.Request.Context(), c.Param("code"), r)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, sku)
}
