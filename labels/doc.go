// Package labels writes ZPL: the shipping, carton and test labels a pack
// station prints. It is pure: every function is a function of its
// arguments (the clock comes in as a time.Time), with no I/O, so labels can
// be fuzzed, benchmarked and compared with golden files.
//
// # Shipping and carton labels
//
// Shipping is the model of a 4 × 6 in shipping label: ship-from and
// ship-to, carrier and service, the tracking number as Code 128, package n
// of m, weight, date and references; with an SSCC it is also a GS1
// logistic label (GS1-128 with (00), and (401) and (420) where known).
// The label is laid out once, in hundredths of an inch, and two renderers
// draw that one layout: ZPL for the printer (203 or 300 dpi) and a PNG
// preview whose barcodes are exact. Validate refuses what a label cannot
// carry (a bad SSCC check digit, a tracking number Code 128 would read as
// an invocation); text that is merely long is cut to its box.
//
// # Safe field data
//
// A ZPL printer reads commands, not documents: "^" starts a format command
// and "~" a control command that acts the moment it is read (~JA cancels
// every label in the buffer, ~JR resets the printer). Text that reaches a
// label from outside — a station or customer name, an address, an order
// reference — could therefore end the label early ("^XZ"), start another
// one, or reset the printer, if it were copied into the label as it is.
//
// Every variable text goes through Field, which writes the field as
// ^FH_^FD…^FS: ^FH makes the printer read "_" followed by two hex digits
// as one byte, and Field writes every byte outside a conservative safe
// set that way — "^", "~", "_" itself, "\" (which ^FB field blocks treat
// as an escape), control characters and every byte of non-ASCII text
// (the label selects UTF-8 with ^CI28, so "Zoë" prints as it should). The
// field data Field writes thus contains no prefix character at all, and
// the set of commands a label holds does not depend on its data: the fuzz
// tests check exactly this.
//
// # Caveats
//
//   - A field holds at most MaxFieldBytes bytes of data; Field cuts longer
//     text at a character boundary rather than letting the printer cut it.
//   - Barcode field data has rules of its own (Code 128 reads ">" as the
//     start of an invocation); Field is for text fields.
//   - Coordinates are laid out for the printer's resolution in dots: a
//     label made for 203 dpi prints at two thirds of its size on a 300 dpi
//     printer. Configure each station's printer dpi.
package labels
