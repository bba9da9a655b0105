package gs1

import (
	"fmt"
	"strings"
	"time"
)

// GS is the ASCII group separator (0x1D) by which scanners transmit FNC1
// between elements of a GS1 element string.
const GS = '\x1d'

// DefaultMaxInput is the longest input a zero Parser accepts, in bytes. No
// GS1 symbol holds more (a GS1 DataMatrix tops out near 3,100 characters);
// the limit keeps a runaway keyboard wedge from costing much.
const DefaultMaxInput = 4096

// Form says in which form a scan carried its data.
type Form int

const (
	// FormGTIN is a bare GTIN: an EAN-13, UPC-A, EAN-8, UPC-E or ITF-14
	// read, or 6 to 8, 12, 13 or 14 digits with no AIM identifier.
	FormGTIN Form = iota + 1
	// FormElementString is a raw GS1 element string: AIs and values one
	// after the other, FNC1 sent as GS.
	FormElementString
	// FormBracketed is the human-readable form with AIs in parentheses,
	// "(01)09506000134352(10)ABC".
	FormBracketed
	// FormDigitalLink is a GS1 Digital Link URI.
	FormDigitalLink
	// FormSSCC is a bare SSCC: 18 digits with no AIM identifier, read as
	// AI (00).
	FormSSCC
)

// String names the form.
func (f Form) String() string {
	switch f {
	case FormGTIN:
		return "GTIN"
	case FormElementString:
		return "element string"
	case FormBracketed:
		return "bracketed element string"
	case FormDigitalLink:
		return "Digital Link URI"
	case FormSSCC:
		return "SSCC"
	}
	return fmt.Sprintf("Form(%d)", int(f))
}

// Data is what one scan carries.
type Data struct {
	// Symbology is the barcode type named by the scan's AIM identifier;
	// zero when the scan had none.
	Symbology Symbology
	// Form is the form the data came in.
	Form Form
	// GTIN is the 14-digit GTIN (AI 01), or "" when the scan has none. It
	// may be a restricted circulation number: see Class.
	GTIN string
	// Elements lists every element in the order read. A bare GTIN scan
	// yields one element, AI 01.
	Elements []Element
	// AddOn is the 2- or 5-digit add-on of an EAN/UPC symbol (AIM ]E3).
	AddOn string
	// Warnings lists what is questionable but not wrong in one scan:
	// broken req=/ex= pairing rules and restricted circulation numbers.
	Warnings []Warning
}

// Get returns the element with the given AI and whether there is one.
func (d Data) Get(ai string) (Element, bool) {
	for _, e := range d.Elements {
		if e.AI == ai {
			return e, true
		}
	}
	return Element{}, false
}

// raw returns the raw value of ai, or "".
func (d Data) raw(ai string) string {
	e, _ := d.Get(ai)
	return e.Raw
}

// Lot returns the batch or lot number (AI 10), or "".
func (d Data) Lot() string { return d.raw("10") }

// Serial returns the serial number (AI 21), or "".
func (d Data) Serial() string { return d.raw("21") }

// SSCC returns the serial shipping container code (AI 00), or "".
func (d Data) SSCC() string { return d.raw("00") }

// Expiry returns the expiration date (AI 17, else the expiration date and
// time of AI 7003) and whether the scan has one. A day 00 has been read as
// the last day of the month. Best-before dates (AI 15) are not expiry dates
// and are not returned; use Get("15").
func (d Data) Expiry() (time.Time, bool) {
	for _, ai := range []string{"17", "7003"} {
		if e, ok := d.Get(ai); ok {
			if t, ok := e.Value.(time.Time); ok {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// Class classifies the scan's GTIN; see ClassifyGTIN.
func (d Data) Class() GTINClass { return ClassifyGTIN(d.GTIN) }

// HRI formats the elements in the human-readable bracketed form,
// "(01)09506000134352(17)261231(10)ABC123". A "(" inside a value is written
// "\(" so that Parse reads it back as data.
func (d Data) HRI() string {
	var b strings.Builder
	for _, e := range d.Elements {
		b.WriteString("(" + e.AI + ")")
		b.WriteString(strings.ReplaceAll(e.Raw, "(", `\(`))
	}
	return b.String()
}

// ElementString formats the elements as a raw GS1 element string, with GS
// after every element that is not of predefined length and not last, and
// without the leading FNC1 or an AIM identifier. This is what to encode in
// a GS1-128 or GS1 DataMatrix after its leading FNC1.
func (d Data) ElementString() string {
	var b strings.Builder
	for i, e := range d.Elements {
		b.WriteString(e.AI)
		b.WriteString(e.Raw)
		info, _ := LookupAI(e.AI)
		if !info.FixedLength && i < len(d.Elements)-1 {
			b.WriteByte(GS)
		}
	}
	return b.String()
}

// Parser reads scans. Its zero value is ready to use; set fields for a
// station whose scanner is configured differently.
type Parser struct {
	// Separator, if not zero, is a printable character the scanner sends
	// in place of FNC1/GS, for keyboard-wedge scanners that lose control
	// characters. Pick one outside GS1's character sets, such as '^', '~'
	// or '|': a Separator that can occur in data splits values wrongly.
	// GS itself is always accepted too.
	Separator byte
	// Now is when the scan was read. Its year anchors GS1's sliding
	// century window for two-digit years (YY up to 50 years ahead and 49
	// behind). With the zero value, YY means 20YY. The parser never reads
	// the clock itself.
	Now time.Time
	// MaxInput caps the input length in bytes; zero means
	// DefaultMaxInput.
	MaxInput int
}

// Parse reads one scan with a zero Parser; see Parser.Parse.
func Parse(s string) (Data, error) { return Parser{}.Parse(s) }

// Parse reads one scan and returns its most likely reading (see
// Readings): a bare GTIN (8, 12, 13 or 14 digits), a UPC-E (6, 7 or 8
// digits), a bare SSCC (18 digits), a raw GS1 element string with FNC1 as
// GS, a bracketed element string "(01)...(10)...", or a GS1 Digital Link
// URI, each optionally preceded by an AIM symbology identifier such as
// "]C1". Leading and trailing spaces, tabs, CRs and LFs (a scanner's
// prefix and suffix) are ignored.
//
// It returns the data, or an error that is a *ParseError saying where and
// what is wrong and wrapping one of the package's sentinel errors. When
// the most likely reading is refused, Parse returns its error even if a
// less likely one is valid: "4006381333932" is an EAN-13 with a bad check
// digit, not the element string (400)6381333932. Broken pairing rules are
// not errors: they are listed in Data.Warnings. With ErrNotGS1 the Data
// still names the symbology.
func (p Parser) Parse(s string) (Data, error) {
	rs, err := p.Readings(s)
	if err != nil {
		// Half-read elements would invite using them; keep only what
		// tells the caller what the scan was.
		f := err.(*ReadError).Failed[0]
		return Data{Symbology: f.Data.Symbology, Form: f.Data.Form}, f.Err
	}
	return rs[0].Data, nil
}

// isURI reports whether s starts like an http or https URI.
func isURI(s string) bool {
	l := strings.ToLower(s[:min(len(s), 8)])
	return strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://")
}

// parseLinear reads the digits of an EAN/UPC or ITF symbol, or a bare GTIN.
func (p Parser) parseLinear(body string, off int, kind symbologyKind, d *Data) error {
	d.Form = FormGTIN
	gtin := body
	switch kind {
	case kindEAN8:
		if len(body) != 8 {
			return errorf(ErrLength, off+1, "", "EAN-8 symbol with %d digits", len(body))
		}
	case kindEANAddOn:
		switch len(body) {
		case 15, 18: // EAN-13 + 2 or 5
			gtin, d.AddOn = body[:13], body[13:]
		case 10, 13: // EAN-8 + 2 or 5
			gtin, d.AddOn = body[:8], body[8:]
		default:
			return errorf(ErrLength, off+1, "", "EAN/UPC with add-on: %d digits, want 13 or 8 plus 2 or 5", len(body))
		}
		if i := firstNonDigit(body); i >= 0 {
			return errorf(ErrNotDigit, off+i+1, "", "non-digit %s", quoteByte(body, i))
		}
	case kindITF:
		if len(body) != 14 {
			return errorf(ErrNotGS1, off-2, "", "%s with %d characters is not an ITF-14", d.Symbology.AIM, len(body))
		}
	}
	g, err := NormalizeGTIN(gtin)
	if err != nil {
		return gtinParseError(err, off)
	}
	setGTIN(d, g, off)
	return nil
}

// gtinParseError turns a *GTINError about text at offset off into a
// *ParseError.
func gtinParseError(err error, off int) error {
	ge, ok := err.(*GTINError)
	if !ok {
		return err
	}
	pos := 0
	if ge.Pos > 0 {
		pos = off + ge.Pos
	}
	return &ParseError{Pos: pos, Reason: fmt.Sprintf("%s %s: %s", ge.Number, quoteInput(ge.Input), ge.Reason), Err: ge}
}

func title(ai string) string {
	info, _ := LookupAI(ai)
	return info.Title
}

// parseElementString reads a raw element string that starts at offset off
// of the input.
func (p Parser) parseElementString(t *dictionary, s string, off int, d *Data) error {
	if p.Separator != 0 && p.Separator != GS {
		s = strings.ReplaceAll(s, string(p.Separator), string(GS))
	}
	i := 0
	for i < len(s) {
		if s[i] == GS { // leading FNC1, a GS after a fixed-length value, or a doubled GS
			i++
			continue
		}
		ai, def, ok := t.matchAI(s[i:])
		if !ok {
			if len(ai) < 2 {
				return errorf(ErrSyntax, off+i+len(ai)+1, "", "expected an AI of two to four digits, found %s", quoteByte(s, i+len(ai)))
			}
			return errorf(ErrUnknownAI, off+i+1, ai, "unknown AI")
		}
		vstart := i + len(ai)
		var v string
		if def.predefined {
			end := min(vstart+def.maxLen, len(s))
			if g := strings.IndexByte(s[vstart:end], GS); g >= 0 {
				end = vstart + g
			}
			v, i = s[vstart:end], end
		} else {
			end := strings.IndexByte(s[vstart:], GS)
			if end < 0 {
				end = len(s) - vstart
			}
			v, i = s[vstart:vstart+end], vstart+end
		}
		val, perr := validate(def, v, off+vstart+1, p.refYear())
		if perr != nil {
			if perr.Err == ErrLength && !def.predefined && len(v) > def.maxLen {
				perr.Reason += "; is a GS separator missing?"
			}
			return perr
		}
		d.Elements = append(d.Elements, Element{AI: ai, Title: def.title, Raw: v, Value: val, Pos: off + vstart + 1})
	}
	if len(d.Elements) == 0 {
		return errorf(ErrEmpty, off+1, "", "no elements")
	}
	return nil
}

// parseBracketed reads "(AI)value(AI)value...". A "(" followed by two to
// four digits and ")" starts the next element; any other "(" is data, and
// "\(" is always data.
func (p Parser) parseBracketed(t *dictionary, s string, off int, d *Data) error {
	i := 0
	for i < len(s) {
		if s[i] != '(' {
			return errorf(ErrSyntax, off+i+1, "", "expected \"(\" and an AI, found %s", quoteByte(s, i))
		}
		n := aiInParens(s[i:])
		if n == 0 {
			return errorf(ErrSyntax, off+i+1, "", "expected an AI of two to four digits in parentheses")
		}
		ai := s[i+1 : i+1+n]
		def, ok := t.ais[ai]
		if !ok {
			return errorf(ErrUnknownAI, off+i+2, ai, "unknown AI")
		}
		vstart := i + n + 2
		var v strings.Builder
		j := vstart
		for j < len(s) {
			if s[j] == '\\' && j+1 < len(s) && s[j+1] == '(' {
				v.WriteByte('(')
				j += 2
				continue
			}
			if s[j] == '(' && aiInParens(s[j:]) > 0 {
				break
			}
			v.WriteByte(s[j])
			j++
		}
		val, perr := validate(def, v.String(), off+vstart+1, p.refYear())
		if perr != nil {
			return perr
		}
		d.Elements = append(d.Elements, Element{AI: ai, Title: def.title, Raw: v.String(), Value: val, Pos: off + vstart + 1})
		i = j
	}
	return nil
}

// aiInParens returns the length of the AI if s starts with "(" two to four
// digits ")", else 0.
func aiInParens(s string) int {
	for n := 2; n <= 4; n++ {
		if len(s) >= n+2 && s[n+1] == ')' && firstNonDigit(s[1:n+1]) < 0 {
			return n
		}
	}
	return 0
}

func (p Parser) refYear() int {
	if p.Now.IsZero() {
		return 0
	}
	return p.Now.Year()
}

// finish runs the checks that need all elements: duplicates, the GTIN, the
// pairing rules.
func (p Parser) finish(t *dictionary, d *Data, err error) error {
	if err != nil {
		return err
	}
	seen := make(map[string]string, len(d.Elements))
	kept := d.Elements[:0]
	for _, e := range d.Elements {
		if prev, dup := seen[e.AI]; dup {
			if prev != e.Raw {
				return errorf(ErrDuplicateAI, e.Pos, e.AI, "appears twice with different values %q and %q", prev, e.Raw)
			}
			continue // an identical repeat adds nothing
		}
		seen[e.AI] = e.Raw
		kept = append(kept, e)
	}
	d.Elements = kept
	d.GTIN = seen["01"]
	d.Warnings = append(d.Warnings, pairingWarnings(t, d.Elements)...)
	addClassWarning(d)
	return nil
}

// addClassWarning warns when the GTIN is not a plain product GTIN.
func addClassWarning(d *Data) {
	if d.GTIN == "" {
		return
	}
	switch ClassifyGTIN(d.GTIN) {
	case GTINRestricted:
		d.Warnings = append(d.Warnings, Warning{AI: "01", Reason: "restricted circulation number (variable-measure or in-store item), not a product GTIN; see ParseVariableMeasure"})
	case GTINCoupon:
		d.Warnings = append(d.Warnings, Warning{AI: "01", Reason: "coupon or refund number, not a product GTIN"})
	case GTINInternal:
		d.Warnings = append(d.Warnings, Warning{AI: "01", Reason: "company-internal number (prefix 04), not a product GTIN"})
	}
}

// pairingWarnings checks the dictionary's req= and ex= rules over one
// scan's elements.
func pairingWarnings(t *dictionary, es []Element) []Warning {
	var ws []Warning
	has := func(pattern string) bool {
		for _, e := range es {
			if matchPattern(pattern, e.AI) {
				return true
			}
		}
		return false
	}
	var reported map[[2]string]bool // made on the first exclusion, which is rare
	for _, e := range es {
		def := t.ais[e.AI]
		if def == nil {
			continue
		}
		for _, alts := range def.req {
			ok := false
			for _, group := range alts {
				all := true
				for _, pat := range group {
					all = all && has(pat)
				}
				ok = ok || all
			}
			if !ok {
				ws = append(ws, Warning{AI: e.AI, Reason: "needs " + describeReq(alts) + " on the same item"})
			}
		}
		for _, pat := range def.ex {
			for _, o := range es {
				pair := [2]string{min(e.AI, o.AI), max(e.AI, o.AI)}
				if o.AI == e.AI || !matchPattern(pat, o.AI) || reported[pair] {
					continue
				}
				if reported == nil {
					reported = map[[2]string]bool{}
				}
				reported[pair] = true
				ws = append(ws, Warning{AI: e.AI, Reason: fmt.Sprintf("must not appear with AI (%s)", o.AI)})
			}
		}
	}
	return ws
}

// describeReq renders [[01 21] [02]] as "(01) with (21), or (02)".
func describeReq(alts [][]string) string {
	parts := make([]string, len(alts))
	for i, group := range alts {
		g := make([]string, len(group))
		for j, p := range group {
			g[j] = "(" + p + ")"
		}
		parts[i] = strings.Join(g, " with ")
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}
