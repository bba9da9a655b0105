package main

import (
	"context"
	"runtime/debug"
	"time"
)

// scheduleCounts runs the ABC cycle count schedule at once and then
// every period until ctx ends: each run raises the counts due, most
// overdue first, up to --count-schedule-max, and they wait for counters
// on handhelds.
func (m *Main) scheduleCounts(ctx context.Context, every time.Duration) {
	log := m.Logger.With("component", "count-schedule")
	defer func() {
		if r := recover(); r != nil {
			log.Error("count schedule stopped", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		res, err := m.DB.ScheduleCounts(ctx, m.Config.Counts.schedule())
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("schedule cycle counts", "err", err)
		case err == nil && len(res.Raised) > 0:
			log.Info("cycle counts scheduled", "raised", len(res.Raised), "due", res.Due)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
