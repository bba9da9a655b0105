// Package inboundcsv reads inbound notices (advance shipping notices) in
// CSV, the format of POST /api/v1/inbound/import: a header row naming the
// columns, then one row per expected line. Rows with the same supplier
// and reference make one notice; its later rows repeat the notice's
// fields (dock) or leave them empty.
//
//	supplier,reference,dock,sku,lot,expiry,qty,sscc
//	Stoneware Ltd,ASN-77,DOCK-1,MUG,,,240,095060000000000015
//	Stoneware Ltd,ASN-77,,TEA,L2407,2027-03-31,120,095060000000000022
//
// Parse is pure: a reader in, notices or one EINVALID error out, with no
// store, clock or network. Every notice keeps the input line of each of
// its lines, so the store's rule violations (an unknown SKU, an SSCC
// announced before) are reported against the file. Every problem of the
// file is reported at once, each a pickwave.FieldError with its line and
// column; nothing is half imported.
//
// # Caveats
//
//   - Columns are matched by name, case-insensitively, after trimming
//     spaces and a UTF-8 byte order mark; an unknown column is an error,
//     so a typo does not silently drop data.
//   - expiry is a date (2027-03-31, the end of that day is not implied:
//     it is midnight UTC) or an RFC 3339 time; spreadsheet dates such as
//     31/03/2027 are refused rather than guessed at.
//   - A file is bounded by MaxRows rows and its error by
//     pickwave.MaxFieldErrors problems (the rest are counted); the caller
//     bounds its bytes (the server uses http.MaxBytesReader, whose error
//     Parse reports as "larger than N bytes").
//   - A quoting error stops the parse: the rest of the file cannot be
//     framed reliably.
package inboundcsv
