package store

import (
	"bytes"
	"slices"
	"time"

	"github.com/pickwave/pickwave"
)

// A record cache keeps the committer from decoding the same records
// again and again.
//
// Every scan reads its picker's state, cart, task and SKU, and decoding
// them cost more than everything else a scan does in the committer, the
// one goroutine all writes go through. The cache maps a record's stored
// bytes to the value they decode to: a read still gets the bytes from
// bbolt, and uses the cached value only when they are equal to the bytes
// it was decoded from. The cache therefore can never be stale. A rolled
// back write, a write by a migration, a record changed by any code path:
// its bytes differ, and the record is decoded afresh. Only the committer
// uses it, so it needs no lock; read-only transactions decode as before.
//
// Callers change the records they read, so values go in and come out as
// copies, and only the types copyRecord knows are cached.

// recordCacheMax bounds the records kept; past it the cache starts over.
// It is far more than the records the active carts of a site touch.
const recordCacheMax = 1 << 15

type recordCache struct {
	spaces map[string]map[string]cachedRecord
	n      int
}

type cachedRecord struct {
	data  []byte // the stored bytes, never changed once cached
	value any    // what they decode to; never handed out, only copied
}

func newRecordCache() *recordCache {
	return &recordCache{spaces: map[string]map[string]cachedRecord{}}
}

// load copies into v the value cached for data at space/key, and says
// whether there was one.
func (c *recordCache) load(space string, key, data []byte, v any) bool {
	e, ok := c.spaces[space][string(key)]
	if !ok || !bytes.Equal(e.data, data) {
		return false
	}
	return copyRecord(v, e.value)
}

// store remembers that data at space/key decodes to v (copied). owned
// says data is the caller's to give away and will never change, like a
// fresh encoding; otherwise (bbolt's bytes, valid only during the
// transaction) it is copied.
func (c *recordCache) store(space string, key, data []byte, owned bool, v any) {
	value := cloneRecord(v)
	if value == nil {
		return
	}
	if !owned {
		data = bytes.Clone(data)
	}
	if c.n >= recordCacheMax {
		clear(c.spaces)
		c.n = 0
	}
	m := c.spaces[space]
	if m == nil {
		m = map[string]cachedRecord{}
		c.spaces[space] = m
	}
	if _, ok := m[string(key)]; !ok {
		c.n++
	}
	m[string(key)] = cachedRecord{data: data, value: value}
}

// cloneRecord returns a copy of v that shares nothing changeable with it,
// or nil when v is not of a cached type.
func cloneRecord(v any) any {
	switch v := v.(type) {
	case *pickwave.Cart:
		c := new(pickwave.Cart)
		copyRecord(c, v)
		return c
	case *pickwave.Task:
		c := new(pickwave.Task)
		copyRecord(c, v)
		return c
	case *pickwave.SKU:
		c := new(pickwave.SKU)
		copyRecord(c, v)
		return c
	case *pickwave.Stock:
		c := new(pickwave.Stock)
		copyRecord(c, v)
		return c
	case *pickwave.WaveProgress:
		c := *v
		return &c
	case pickwave.WaveProgress:
		return &v
	case *pickerState:
		c := *v
		return &c
	case storedOrder:
		return &storedOrder{Order: cloneOrder(v.Order), InputHash: v.InputHash}
	case *storedOrder:
		return &storedOrder{Order: cloneOrder(v.Order), InputHash: v.InputHash}
	}
	return nil
}

// copyRecord sets *dst to a copy of *src, deep enough that changing one
// never changes the other; false when dst is not of a cached type.
func copyRecord(dst, src any) bool {
	switch d := dst.(type) {
	case *pickwave.Cart:
		s := src.(*pickwave.Cart)
		*d = *s
		d.Totes, d.Tasks = slices.Clone(s.Totes), slices.Clone(s.Tasks)
	case *pickwave.Task:
		s := src.(*pickwave.Task)
		*d = *s
		d.Expiry = cloneTime(s.Expiry)
	case *pickwave.SKU:
		s := src.(*pickwave.SKU)
		*d = *s
		d.Barcodes = slices.Clone(s.Barcodes)
	case *pickwave.Stock:
		s := src.(*pickwave.Stock)
		*d = *s
		d.Expiry = cloneTime(s.Expiry)
	case *pickwave.WaveProgress:
		*d = *src.(*pickwave.WaveProgress)
	case *pickerState:
		*d = *src.(*pickerState)
	case *storedOrder:
		s := src.(*storedOrder)
		if d.Order == nil {
			d.Order = new(pickwave.Order)
		}
		*d.Order = *cloneOrder(s.Order)
		d.InputHash = s.InputHash
	default:
		return false
	}
	return true
}

func cloneOrder(o *pickwave.Order) *pickwave.Order {
	c := *o
	c.Lines = slices.Clone(o.Lines)
	for i := range c.Lines {
		l := &c.Lines[i]
		l.Allocations = slices.Clone(l.Allocations)
		for k := range l.Allocations {
			l.Allocations[k].Expiry = cloneTime(l.Allocations[k].Expiry)
		}
	}
	c.Timeline = slices.Clone(o.Timeline)
	return &c
}

func cloneTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}
