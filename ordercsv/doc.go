// Package ordercsv reads order imports in CSV, the format of
// POST /api/v1/orders/import: a header row naming the columns, then one
// row per order line. Rows with the same external_id make one order; its
// later rows repeat the order's fields or leave them empty.
//
//	external_id,customer_name,ship_name,ship_address1,ship_city,ship_postal_code,ship_country,carrier,ship_by,sku,qty
//	SHOP-1,Ada Lovelace,Ada Lovelace,12 St James's Square,London,SW1Y 4JH,GB,UPS,2026-11-26T17:00:00Z,MUG,2
//	SHOP-1,,,,,,,,,TEA,1
//
// Parse is pure: a reader in, orders or one EINVALID error out, with no
// store, clock or network. It keeps the line of every row, so the store's
// rule violations (an unknown SKU) can be reported against the file, and
// it reports every problem of the file at once, each as a
// pickwave.FieldError with its line and column, so a person fixes the
// file in one round trip. Nothing is half imported: an invalid file yields
// no orders.
//
// # Caveats
//
//   - Columns are matched by name, case-insensitively, after trimming
//     spaces and a UTF-8 byte order mark; an unknown column is an error
//     rather than ignored, so a typo does not silently drop data.
//   - Cells are trimmed of surrounding spaces. ship_by must be RFC 3339
//     (2026-11-26T17:00:00Z); spreadsheet dates are not guessed at.
//   - A file is bounded by MaxRows rows; the caller bounds its bytes
//     (the server uses http.MaxBytesReader, whose error Parse reports as
//     "larger than N bytes").
//   - A quoting error stops the parse: the rest of the file cannot be
//     framed reliably, so later rows are not reported.
package ordercsv
