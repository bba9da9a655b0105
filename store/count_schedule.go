package store

import (
	"cmp"
	"context"
	"encoding/binary"
	"slices"
	"sort"
	"time"

	"github.com/pickwave/pickwave"
)

// The cycle count schedule. Every pick task that takes units adds one to
// its SKU's count of the day (pick_days), in the pick's own commit: the
// ABC classes are ranked on pick lines, which is what wears a location's
// books, not on units. A run of the schedule (ScheduleCounts, daily from
// cmd/pickwave) ranks the SKUs over the window, finds the stock rows
// whose class interval has passed since their last confirmed count
// (count_last, written by every confirmation) and raises counts for the
// most overdue, holding each row as any count does. A row the schedule
// has never seen is not due at once: its first run records it, so a new
// site is not flooded with counts on its first day.

const dayLayout = "2006-01-02"

// countPick adds a pick of the SKU to today's count.
func (t *txn) countPick(sku string) error {
	key := joinKey(sku, t.now.Format(dayLayout))
	n := uint64(0)
	if v := t.Get(spacePickDays, key); len(v) == 8 {
		n = binary.BigEndian.Uint64(v)
	}
	return t.Put(spacePickDays, key, u64key(n+1))
}

// countedNow records that a stock row was counted.
func (t *txn) countedNow(key []byte) error {
	at, err := t.now.MarshalText()
	if err != nil {
		return err
	}
	return t.Put(spaceCountLast, key, at)
}

// ScheduleCounts runs the ABC schedule once.
func (db *DB) ScheduleCounts(ctx context.Context, s pickwave.CountSchedule) (*pickwave.ScheduledCounts, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	var out *pickwave.ScheduledCounts
	err := db.update(ctx, func(t *txn) (err error) {
		out, err = t.scheduleCounts(s)
		return err
	})
	return out, err
}

func (t *txn) scheduleCounts(s pickwave.CountSchedule) (*pickwave.ScheduledCounts, error) {
	classes, err := t.abcClasses(s)
	if err != nil {
		return nil, err
	}
	out := &pickwave.ScheduledCounts{Classes: classes, Raised: []*pickwave.CycleCount{}}
	type due struct {
		row     *pickwave.Stock
		overdue time.Duration
	}
	var dues []due
	err = t.Scan(spaceStock, nil, nil, func(k, v []byte) error {
		row := new(pickwave.Stock)
		if err := decode(spaceStock, k, v, row); err != nil {
			return err
		}
		if row.OnHand <= 0 || row.CountID != "" {
			return nil
		}
		loc, err := t.location(row.Location)
		if err != nil {
			return err
		}
		if loc.Kind == pickwave.LocationReceiving {
			return nil // counted when put away, not at the dock
		}
		last := t.Get(spaceCountLast, k)
		if last == nil {
			return t.countedNow(k) // first seen: its interval starts now
		}
		var at time.Time
		if err := at.UnmarshalText(last); err != nil {
			return err
		}
		every := s.EveryC
		switch classes[row.SKU] {
		case pickwave.ClassA:
			every = s.EveryA
		case pickwave.ClassB:
			every = s.EveryB
		}
		if over := t.now.Sub(at) - every; over >= 0 {
			dues = append(dues, due{row, over})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.Due = len(dues)
	slices.SortStableFunc(dues, func(a, b due) int { return cmp.Compare(b.overdue, a.overdue) })
	for _, d := range dues[:min(len(dues), s.MaxPerRun)] {
		cc, err := t.holdForCount(&pickwave.CycleCount{Location: d.row.Location, SKU: d.row.SKU, Lot: d.row.Lot,
			Reason: pickwave.ShortCantFind, Picker: t.actor, Source: pickwave.CountFromSchedule})
		if err != nil {
			return nil, err
		}
		out.Raised = append(out.Raised, cc)
	}
	return out, nil
}

// abcClasses ranks the SKUs picked within the window; the picks of days
// before it are dropped on the way. Every SKU not in the map is C.
func (t *txn) abcClasses(s pickwave.CountSchedule) (map[string]string, error) {
	since := t.now.Add(-s.Window).Format(dayLayout)
	picks := map[string]uint64{}
	var total uint64
	var old [][]byte
	err := t.Scan(spacePickDays, nil, nil, func(k, v []byte) error {
		parts := splitKey(k)
		if len(parts) != 2 || len(v) != 8 {
			return nil
		}
		if parts[1] < since {
			old = append(old, slices.Clone(k))
			return nil
		}
		n := binary.BigEndian.Uint64(v)
		picks[parts[0]] += n
		total += n
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, k := range old {
		if err := t.Delete(spacePickDays, k); err != nil {
			return nil, err
		}
	}
	skus := make([]string, 0, len(picks))
	for sku := range picks {
		skus = append(skus, sku)
	}
	// Most picked first; ties by code, so a run is repeatable.
	sort.Slice(skus, func(i, j int) bool {
		if picks[skus[i]] != picks[skus[j]] {
			return picks[skus[i]] > picks[skus[j]]
		}
		return skus[i] < skus[j]
	})
	classes := make(map[string]string, len(skus))
	var cum uint64
	for _, sku := range skus {
		// A SKU belongs to the class its first pick falls in: the one
		// that crosses a share is still in the class it starts in.
		share := float64(cum) / float64(total)
		switch {
		case share < s.ShareA:
			classes[sku] = pickwave.ClassA
		case share < s.ShareB:
			classes[sku] = pickwave.ClassB
		default:
			classes[sku] = pickwave.ClassC
		}
		cum += picks[sku]
	}
	return classes, nil
}
