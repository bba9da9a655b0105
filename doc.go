// Package pickwave holds the domain of a warehouse-floor picking and packing
// server: orders, SKUs, locations, stock, waves, tasks, scans, shipments,
// stations, webhooks and the event log, their states, the application error codes and
// the service interfaces the HTTP server calls.
//
// It imports only the standard library. Each dependency lives in a
// subpackage that implements or consumes these interfaces: store (bbolt),
// server (HTTP and websockets), device (scanners, scales, printers),
// station (the pack-station runtime), webhook (the webhook sender), wave
// (planning and routing), labels
// (ZPL), ordercsv (CSV order imports) and gs1 (barcode data).
package pickwave
