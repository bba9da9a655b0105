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
// one goroutine all writes go through. (Orders are large and read a few
// times in a pick's life; a transaction remembers the ones it reads
// instead, see txn.orders.) The cache maps a record's stored
// bytes to the value they decode to: a read still gets the bytes from
// bbolt, and uses the cached value only when they are equal to the bytes
// it was decoded from. The cache therefore can never be stale. A rolled
// back write, a write by a migration, a record changed by any code path:
// its bytes differ, and the record is decoded afresh. Only the committer
// uses it, so it needs no lock; read-only transactions decode as before.
//
// Callers change the records they read, so values go in and come out as
// copies, and only the types copyRecord knows are cached.

// recordCacheGen bounds the records of one generation. The cache keeps
// two: records go into the young one, and when it is full the old one is
// dropped and the young one takes its place; a hit in the old one moves
// the record back to the young. What the active carts touch again and
// again (pickers, carts, their current tasks, SKUs and stock) stays;
// what was read once goes, so the cache adds little to the heap the
// garbage collector has to mark.
const recordCacheGen = 1 << 12

type recordCache struct {
	young, old map[cacheKey]cachedRecord
}

type cacheKey struct {
	space string
	key   string
}

type cachedRecord struct {
	data  []byte // the stored bytes, never changed once cached
	value any    // what they decode to; never handed out, only copied
}

func newRecordCache() *recordCache {
	return &recordCache{young: map[cacheKey]cachedRecord{}, old: map[cacheKey]cachedRecord{}}
}

// load copies into v the value cached for data at space/key, and says
// whether there was one.
func (c *recordCache) load(space string, key, data []byte, v any) bool {
	k := cacheKey{space, string(key)}
	e, ok := c.young[k]
	if !ok {
		if e, ok = c.old[k]; ok {
			delete(c.old, k)
			c.put(k, e)
		}
	}
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
	c.put(cacheKey{space, string(key)}, cachedRecord{data: data, value: value})
}

func (c *recordCache) put(k cacheKey, e cachedRecord) {
	if _, ok := c.young[k]; !ok && len(c.young) >= recordCacheGen {
		c.old, c.young = c.young, make(map[cacheKey]cachedRecord, recordCacheGen)
	}
	c.young[k] = e
}

func (c *recordCache) len() int { return len(c.young) + len(c.old) }

// cloneRecord returns a copy of v that shares nothing changeable with it,
// or nil when v is not of a cached type.
func cloneRecord(v any) any {
	switch v := v.(type) {
	case *pickwave.Cart:
		return cloneAs(v)
	case *pickwave.Task:
		return cloneAs(v)
	case *pickwave.SKU:
		return cloneAs(v)
	case *pickwave.Stock:
		return cloneAs(v)
	case *pickwave.WaveProgress:
		return cloneAs(v)
	case pickwave.WaveProgress:
		return &v
	case *pickerState:
		return cloneAs(v)
	}
	return nil
}

func cloneAs[T any](v *T) any {
	c := new(T)
	copyRecord(c, v)
	return c
}

// copyRecord sets *dst to a copy of src, deep enough that changing one
// never changes the other; false when dst is not of a cached type, or
// src not of its type.
func copyRecord(dst, src any) bool {
	switch d := dst.(type) {
	case *pickwave.Cart:
		return copyAs(d, src, func(c *pickwave.Cart) { c.Totes, c.Tasks = slices.Clone(c.Totes), slices.Clone(c.Tasks) })
	case *pickwave.Task:
		return copyAs(d, src, func(c *pickwave.Task) { c.Expiry = cloneTime(c.Expiry) })
	case *pickwave.SKU:
		return copyAs(d, src, func(c *pickwave.SKU) { c.Barcodes = slices.Clone(c.Barcodes) })
	case *pickwave.Stock:
		return copyAs(d, src, func(c *pickwave.Stock) { c.Expiry = cloneTime(c.Expiry) })
	case *pickwave.WaveProgress:
		return copyAs(d, src, nil)
	case *pickerState:
		return copyAs(d, src, func(c *pickerState) { c.Recent = slices.Clone(c.Recent) })
	}
	return false
}

// copyAs copies src into *dst when src is a *T, then lets deepen replace
// what the copy still shares with src.
func copyAs[T any](dst *T, src any, deepen func(*T)) bool {
	s, ok := src.(*T)
	if !ok {
		return false
	}
	*dst = *s
	if deepen != nil {
		deepen(dst)
	}
	return true
}

func cloneTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}
