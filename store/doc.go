// Package store keeps all of Pickwave's state in one bbolt file and
// implements the service interfaces of package pickwave on it.
//
// # Transactions
//
// Every exported method that changes state is one unit of work: the
// change, its secondary indexes (barcodes, external order ids, order
// status) and its event-log entry commit together or not at all. Units run
// one after another, which is what makes allocation safe: two orders racing
// for the last units are serialised, and the second sees what the first
// reserved. A method returns only after its commit has been synced to disk,
// so an acknowledged change survives a crash.
//
// Units are group-committed (see commit.go): a single committer goroutine
// runs every unit waiting at the moment into one bbolt transaction and
// syncs once, so throughput grows with the number of concurrent writers
// instead of being capped by fsyncs. A unit that fails is rolled back by
// re-running its batch without it; unit functions may therefore run more
// than once and touch nothing but the transaction and their own results.
//
// The rules are written against the small Tx interface (get, put, delete,
// ordered prefix scan, sequence), not against bbolt directly, so that a
// replicated engine can implement it later and run the same rules.
//
// # Keys
//
// Each key space is a bucket. Codes (SKU, location, lot) never contain a
// zero byte, so composite keys join their parts with one: stock is keyed
// sku\x00location\x00lot, so a prefix scan lists one SKU's stock in
// location order. Events are keyed by their big-endian sequence number.
// Order ids are "O-" and ten digits, so they sort in intake order.
//
// # Pages
//
// bbolt writes every page a commit dirtied, one write each, and reads
// every page it touches into memory. The hot path is laid out for few
// pages: scan records append to a log in event order (append-only buckets
// fill their pages), a unit scan writes only its picker's small state
// record (the task takes the units at the tote scan), and a picker's scan
// ids reach their index sixteen at a time. The committer keeps decoded
// records keyed by their stored bytes (recordcache.go), so what did not
// change is not decoded again.
//
// # Allocation
//
// On intake every line reserves stock at pick locations: earliest expiry
// first for expiry-tracked SKUs (FEFO; expired lots are never reserved),
// else first received first (FIFO, by the event sequence of the lot's first
// receipt at the location). An order that cannot be covered keeps what it
// reserved and is backordered; a later receipt of the SKU into a pick
// location allocates to backordered orders, oldest first.
//
// # Packing and shipping
//
// Each station's pack session is one record (pack_sessions), changed with
// the event of the change in the same transaction; a pack scan with an id
// records its answer (pack_requests), so a retry changes nothing. A
// cart's totes are remembered for packing when the cart is done
// (pack_totes) and forgotten when their order is packed. An order's
// shipment (shipments, ids "SH-" and ten digits) holds its packages;
// shipment_index finds a shipment by order, tracking number or SSCC, so a
// dock scan and public tracking read one record. Labelling a package
// writes the package, the shipment, the print job and, with the order's
// last item, the order's packed status and its order.packed event in one
// transaction (packing.go, shipments.go).
//
// # KPIs
//
// The KPIs follow the event log behind a cursor, as the webhook outbox
// does (kpis.go): each event is added once, in one transaction with the
// cursor, to the buckets of its hour and day (package kpi), so a query
// over a year reads about 400 records instead of the year's events.
//
// # Schema
//
// The meta bucket holds the schema version; Open applies every newer
// migration in order inside one transaction, and refuses a file written by
// a newer Pickwave.
//
// # Caveats
//
// Only one process may open the data directory: bbolt holds an exclusive
// file lock, and Open gives up after Options.LockTimeout with an error
// that says the directory is in use. Long read transactions keep old pages
// alive and make the file grow; the store's reads are short, but for a
// backup (backup.go), which holds one read transaction while it copies
// the file, and makes a commit that must grow the file wait for it.
package store
