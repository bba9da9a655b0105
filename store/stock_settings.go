package store

import (
	"context"

	"github.com/pickwave/pickwave"
)

// Stock settings changed after creation: a location's pick face (the SKU
// it holds and the min/max replenishment keeps it between) and a SKU's
// reorder point and quantity. Both take effect in the same commit: a face
// set below its min gets its replenishment task, a reorder point raised
// above the available stock logs its reorder.suggested, so a supervisor
// never waits for the next pick to see what the new settings mean.

// SetPickFace sets or clears (face nil) a pick location's face.
func (db *DB) SetPickFace(ctx context.Context, location string, face *pickwave.PickFace) (*pickwave.Location, error) {
	var out *pickwave.Location
	err := db.update(ctx, func(t *txn) error {
		loc, err := t.location(location)
		if err != nil {
			return err
		}
		if face != nil {
			f := *face
			face = &f
		}
		loc.Face = face
		if err := loc.Validate(); err != nil {
			return err
		}
		if face != nil {
			if _, err := t.sku(face.SKU); err != nil {
				if pickwave.ErrorCode(err) == pickwave.ENOTFOUND {
					return fieldErr("face.sku", "no SKU %s exists", face.SKU)
				}
				return err
			}
			other, err := t.faceOf(face.SKU)
			if err != nil {
				return err
			}
			if other != nil && other.Code != loc.Code {
				return pickwave.Errorf(pickwave.ECONFLICT,
					"Location %s is already the pick face of %s: clear it first.", other.Code, face.SKU)
			}
		}
		if err := t.putJSON(spaceLocations, []byte(loc.Code), loc); err != nil {
			return err
		}
		if _, err := t.appendEvent(pickwave.EventLocationUpdated, "location/"+loc.Code, loc); err != nil {
			return err
		}
		if face != nil {
			if _, err := t.replenishFace(loc, pickwave.ReplenishBelowMin, 0); err != nil {
				return err
			}
		}
		out = loc
		return nil
	})
	return out, err
}

// SetReorder changes a SKU's reorder point and quantity.
func (db *DB) SetReorder(ctx context.Context, code string, r pickwave.Reorder) (*pickwave.SKU, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	var out *pickwave.SKU
	err := db.update(ctx, func(t *txn) error {
		s, err := t.sku(code)
		if err != nil {
			return err
		}
		c := *s
		c.ReorderPoint, c.ReorderQty, c.UpdatedAt = r.Point, r.Qty, t.now
		if err := t.putJSON(spaceSKUs, []byte(c.Code), &c); err != nil {
			return err
		}
		t.skus[c.Code] = &c // t.sku filled the map
		if _, err := t.appendEvent(pickwave.EventSKUUpdated, "sku/"+c.Code, map[string]any{
			"sku": c.Code, "reorder_point": c.ReorderPoint, "reorder_qty": c.ReorderQty}); err != nil {
			return err
		}
		if c.ReorderPoint == 0 {
			// Off: a later point starts afresh.
			if err := t.Delete(spaceReorder, []byte(c.Code)); err != nil {
				return err
			}
		} else if err := t.checkReorder(c.Code); err != nil {
			return err
		}
		out = &c
		return nil
	})
	return out, err
}
