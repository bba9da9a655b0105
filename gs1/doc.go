// Package gs1 reads the data on GS1 barcodes: GTINs, GS1 element strings
// (GS1-128, GS1 DataMatrix, GS1 QR Code, GS1 DataBar) and GS1 Digital Link
// URIs. It is pure: no I/O, no clock, no globals that change after start-up,
// and it imports only the standard library.
//
// # GTINs and check digits
//
// A GTIN (Global Trade Item Number) has 8, 12 (UPC-A), 13 (EAN-13) or 14
// digits; the last is a mod-10 check digit: from the rightmost data digit
// leftward the digits are weighted 3, 1, 3, 1..., and the check digit brings
// the sum to a multiple of ten (CheckDigit). SSCCs (18 digits), GLNs (13) and
// GSINs (17) use the same rule. Pickwave stores every GTIN in its 14-digit
// form, left-padded with zeros (NormalizeGTIN), so UPC-A 036000291452 and
// EAN-13 0036000291452 are the same item. A UPC-E symbol squeezes zeros out of
// a UPC-A; ExpandUPCE puts them back. Nothing in eight digits tells a UPC-E
// from a GTIN-8; a scanner that sends AIM identifiers says ]E0 for UPC-E and
// ]E4 for EAN-8, and without one both are tried (see Readings below).
//
// # Readings
//
// Most scanners send no AIM identifier, and then bare digits can mean
// several things: "106141411234567897" is a valid SSCC and also the lot
// (10)6141411234567897; "17261130" fails as a GTIN-8 but is (17) use-by
// 2026-11-30; "06543217" is the UPC-E of GTIN 00065100004327. Readings
// tries every reading that fits (GTIN, UPC-E of 6, 7 or 8 digits, SSCC,
// element string) and returns the valid ones, the most likely first, each
// with its ReadingKind; the caller picks the one that matches what it
// expects (a product it stocks, a tote...). Parse returns the most likely.
// A UPC-E sent without its check digit is a Reading.Guess: any six digits
// read as one. When digits have the length of a number with a check digit
// and every such reading fails, Readings says so with a *ReadError even if
// an element string reading is valid: a misread EAN-13 must not pass for
// the element string it happens to spell. A symbology identifier, when
// present, decides alone. TrimScan, LooksGS1 and NormalizeBarcode hold the
// rest of what a store needs to know about a scan's syntax.
//
// Prefixes carry meaning (ClassifyGTIN): 02 and 20-29 are restricted
// circulation numbers, mostly variable-measure items whose price or weight
// is part of the number (ParseVariableMeasure reads them with a layout the
// site configures, since GS1 leaves layouts to each country); 04 is
// company-internal; 05, 98 and 99 are coupons; 977-979 are serials and
// books. Parse warns about these; none of them should be taken as a product
// key as it stands.
//
// # GS1 element strings
//
// A GS1 barcode carries a chain of elements, each an Application Identifier
// (AI, two to four digits saying what follows) and a value:
//
//	(01)09506000134352(17)261231(10)ABC123
//
// is a GTIN, an expiry date and a lot. The parentheses are only for people
// (the "human-readable interpretation"); the symbol encodes
// 01095060001343521726123110ABC123. A value either has a predefined length
// that the reader knows from the AI alone (01 is always 14 digits, 17 is
// six) or runs until the special symbol character FNC1, which scanners
// transmit as ASCII GS (0x1D); the last value simply ends. Only AIs whose
// first two digits are in GS1's table of predefined lengths (00-04, 11-20,
// 31-36, 41) may go without FNC1; every other AI is followed by FNC1 unless
// it is last, even when its value has a fixed length. That is why the order
// on a label is GTIN, dates, then lot: 10 is variable, so a lot written last
// saves a separator, and a lot that reads "17261231" is still a lot: the
// parser never looks for AIs inside a variable-length value, only after GS.
//
// Parse accepts the raw form (with or without a leading GS for the FNC1 in
// first position), the bracketed form (where "\(" writes a literal "(" in a
// value), a bare GTIN, and a Digital Link URI. Every AI, its title, its
// format and its content checks come from GS1's Barcode Syntax Dictionary,
// embedded from syntax/gs1-syntax-dictionary.txt (Apache-2.0, see
// syntax/LICENSE) and parsed on first use; LookupAI exposes it. Values are
// checked component by component: the character set (N digits, X GS1's CSET
// 82 of letters, digits and !"%&'()*+,-./:;<=>?_, Y CSET 39, Z base64url),
// the lengths, and the dictionary's linters: check digits, dates, times,
// piece-of-total, coordinates, IBAN, percent-encoding and the others in
// lint.go.
//
// # AIM symbology identifiers
//
// Scanners can prefix each read with an ISO/IEC 15424 symbology identifier:
// "]" + a code letter + a modifier. ]C1 is GS1-128, ]e0 GS1 DataBar, ]d2 GS1
// DataMatrix, ]Q3 GS1 QR Code, ]J1 GS1 DotCode; ]E0 is EAN-13, UPC-A or
// UPC-E, ]E4 EAN-8, ]E3 EAN/UPC with an add-on, ]I0/]I1 Interleaved 2 of 5
// (ITF-14 carries a GTIN-14). ]C0, ]d1, ]Q1, ]A0 and the like are the same
// symbologies without GS1 data: Parse reads a Digital Link URI from them
// (that is how GS1 Digital Link QR codes scan) and otherwise returns
// ErrNotGS1 with the symbology filled in, so the caller can treat the text
// as something else, such as a location label. Turn AIM identifiers on in
// the scanners: they are the reliable way to know a read is GS1 data.
//
// # Dates
//
// Dates are YYMMDD (a few AIs use YYYYMMDD). For the AIs whose dictionary
// entry says so (11, 13, 15, 16, 17...), DD = 00 means the last day of the
// month: 261200 is 31 December 2026, and 260200 is 28 February 2026. The
// century of YY follows GS1's sliding window around the current year: up
// to 50 years ahead and 49 behind, so in 2026 "76" is 2076 and "77" is 1977.
// Parser.Now supplies the current year; the zero Parser reads YY as 20YY.
// Dates come back as time.Time values in UTC at midnight.
//
// # Digital Link
//
// A GS1 Digital Link URI puts the same AIs in a web address:
//
//	https://id.gs1.org/01/09506000134352/10/ABC123/21/XYZ?17=261231
//
// The path holds a primary key (01 GTIN, 00 SSCC, 414 GLN...) and its
// qualifiers in a fixed order (for a GTIN: 22, 10, 21, or 235); the query
// holds data attributes. Any domain and any path prefix before the key are
// allowed. ParseDigitalLink (and Parse, for input starting http:// or
// https://) returns the same Data as for the element string.
//
// # Errors and warnings
//
// Errors say exactly what is wrong and where: a *ParseError carries the
// 1-based byte position, the AI and a reason ("bad check digit: got 3 want
// 2", "unknown AI", "value too long: 25 characters, at most 20; is a GS
// separator missing?"), and wraps a sentinel (ErrCheckDigit, ErrUnknownAI,
// ErrLength...) for errors.Is. GTIN functions return *GTINError. All of them
// are the client's fault; the HTTP layer maps them to its invalid-input code.
// A failed parse returns no elements. GS1's pairing rules (req=: lot needs a
// GTIN; ex=: two net weights in different units must not meet) apply to all
// barcodes on an item together, so for one scan they are Data.Warnings, not
// errors.
//
// # Caveats
//
//   - A keyboard-wedge scanner may drop GS. Without it "10ABC" followed by
//     "17261231" reads as one lot "ABC17261231": nothing in the data can tell.
//     Configure the scanner to send a substitute character and set
//     Parser.Separator to it, or use AIM identifiers and a serial or HID-POS
//     connection.
//   - Without an AIM identifier, digits of a GTIN's or an SSCC's length are
//     read as that number first and as an element string too. Parse returns
//     the number's error when its check digit is wrong ("11261231" is a
//     GTIN-8 with a bad check digit, for Parse), while Readings also lists
//     the element string ((11) 2026-12-31) beside that error.
//   - Six or seven digits read as a UPC-E that nothing verifies; a site whose
//     scanners send UPC-E that way, and whose totes carry such numbers,
//     relies on the caller trying the readings against what it knows.
//   - In the bracketed form a "(" followed by two to four digits and ")"
//     starts a new element; write "\(" for a literal parenthesis in a value.
//   - Not checked: whether a GS1 Company Prefix is actually allocated, and
//     the linters that need code lists GS1 maintains elsewhere: country codes
//     (iso3166...) and currency codes (iso4217) are checked for shape only;
//     package types (packagetype) and North American coupon codes
//     (couponcode, couponposoffer) are not checked.
//   - Digital Link's deprecated alphabetic short names (/gtin/, /lot/) and
//     compressed URIs are not read. Error positions in a URI point at the
//     start of the offending segment or parameter.
//   - Variable-measure layouts are national; check the predefined RCN
//     layouts against your GS1 Member Organisation's rules before use.
package gs1
