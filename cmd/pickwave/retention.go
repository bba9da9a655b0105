package main

import (
	"context"
	"runtime/debug"
	"time"
)

// retain applies the retentions, at once and then every period, until
// ctx ends: scan records older than --scan-retention are dropped, and
// events older than --event-retention move to the event archive. Both
// work in small transactions, so handheld scans wait little.
func (m *Main) retain(ctx context.Context, every time.Duration) {
	log := m.Logger.With("component", "retention")
	defer func() {
		if r := recover(); r != nil {
			log.Error("retention stopped", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		if r := time.Duration(m.Config.ScanRetention); r > 0 {
			m.forgetScans(ctx, time.Now().Add(-r))
		}
		if r := time.Duration(m.Config.EventRetention); r > 0 {
			res, err := m.DB.ArchiveEvents(ctx, time.Now().Add(-r))
			switch {
			case err != nil && ctx.Err() == nil:
				log.Error("archive old events", "err", err, "archived", res.Events)
			case res.Events > 0:
				log.Info("old events archived", "events", res.Events, "files", len(res.Files), "through", res.Through)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// forgetScans drops the scan records committed before before, a
// thousand per transaction.
func (m *Main) forgetScans(ctx context.Context, before time.Time) {
	total := 0
	for {
		n, more, err := m.DB.ForgetScans(ctx, before, 1000)
		total += n
		if err != nil {
			if ctx.Err() == nil {
				m.Logger.Error("forget old scan records", "component", "retention", "err", err)
			}
			break
		}
		if !more {
			break
		}
	}
	if total > 0 {
		m.Logger.Info("old scan records dropped", "component", "retention", "count", total, "before", before)
	}
}
