// Package kpi folds the event log into the floor's key performance
// indicators and answers them for any time range.
//
// The figures and their formulas are published in docs/kpis.md; this
// package is their one implementation. It is pure: events in, counts out,
// no clock and no I/O, so the fold can be checked against a recomputation
// from the whole log (the rapid model test) and benchmarked alone.
//
// # Incremental
//
// Answering from the raw log would read every event of the range: a year
// holds millions. Instead a Fold adds each event, once, to the counts of
// the clock hour (UTC) it happened in and of its day, and the store keeps
// those buckets (package store, kpis.go) beside a cursor, in the same
// transaction, so a crash neither skips nor double-counts an event. A
// range is then answered from at most 48 hour buckets at its ends and one
// bucket per whole day in between: a year is about 400 small records.
//
// Some figures need what an earlier event said: an order's cycle time
// needs the time it was received and its ship_by, a picker's active time
// the time of the picker's previous scan, a cart's walking the units
// picked on it. The Fold keeps that state (Track, PickerTrack, CartTrack)
// through a Loader, and forgets an order once it ships or is cancelled
// and a cart once it is done.
//
// # Caveats
//
// Percentiles come from histograms with bins 5 % wide, so p50 and p90
// are the upper bound of the bin that holds the nearest-rank value: at
// most 5 % (and one second) above the exact figure. Events logged before
// a payload carried a field (distance_m on cart.done, ship_by on
// order.created, picker on task events) count without it: no walking, no
// on-time verdict, the event's actor as the picker.
package kpi
