package gs1

import (
	"fmt"
	"strings"
)

// ReadingKind says how a scan was read.
type ReadingKind int

const (
	// ReadingNone is the kind of a scan that could not be taken apart at
	// all: empty, too long, a malformed symbology identifier, or a
	// symbology that carries no GS1 data. It only appears in a ReadError.
	ReadingNone ReadingKind = iota
	// ReadingGTIN is a GTIN-8, -12, -13 or -14: bare digits, or an EAN,
	// UPC-A or ITF-14 symbol.
	ReadingGTIN
	// ReadingUPCE is a UPC-E code, expanded to its GTIN-12.
	ReadingUPCE
	// ReadingSSCC is a bare SSCC-18, read as AI (00).
	ReadingSSCC
	// ReadingElementString is a GS1 element string, raw or bracketed.
	ReadingElementString
	// ReadingDigitalLink is a GS1 Digital Link URI.
	ReadingDigitalLink
)

// String names the kind.
func (k ReadingKind) String() string {
	switch k {
	case ReadingNone:
		return "none"
	case ReadingGTIN:
		return "GTIN"
	case ReadingUPCE:
		return "UPC-E"
	case ReadingSSCC:
		return "SSCC"
	case ReadingElementString:
		return "element string"
	case ReadingDigitalLink:
		return "Digital Link"
	}
	return fmt.Sprintf("ReadingKind(%d)", int(k))
}

// Reading is one way to read a scan.
type Reading struct {
	// Kind says how the scan was read.
	Kind ReadingKind
	// Data is what the scan carries when read this way. In a ReadError's
	// Failed list it holds only the symbology and the form.
	Data Data
	// Guess reports that nothing in the scan confirms this reading: a
	// UPC-E sent as six digits, or as seven with its number system but
	// without its check digit, has no check digit to verify, so any such
	// digits read as one. Act on a guess only when it names something
	// known. A reading that a symbology identifier names is never a guess.
	Guess bool
	// Err is nil in a valid reading; in a ReadError's Failed list it says
	// why the reading was refused (a *ParseError).
	Err error
}

// ReadError is the error Readings returns when the reading a scan most
// likely means was refused. It reads as, and unwraps to, that reading's
// error, so errors.Is and errors.As see one *ParseError and one sentinel;
// Failed lists every reading refused.
type ReadError struct {
	// Failed lists the readings tried and refused, the most likely first,
	// each with its Err.
	Failed []Reading
}

// Error implements the error interface with the most likely reading's
// message.
func (e *ReadError) Error() string {
	if len(e.Failed) == 0 || e.Failed[0].Err == nil {
		return "gs1: no reading"
	}
	return e.Failed[0].Err.Error()
}

// Unwrap returns the most likely reading's error.
func (e *ReadError) Unwrap() error {
	if len(e.Failed) == 0 {
		return nil
	}
	return e.Failed[0].Err
}

// how names one way of reading a scan's body.
type how int

const (
	howLinear        how = iota // a GTIN from an EAN/UPC/ITF symbol or bare digits
	howUPCE8                    // number system, six digits, check digit
	howUPCE7Check               // six digits and check digit, number system 0
	howUPCE7System              // number system and six digits, no check digit
	howUPCE6                    // six digits alone: number system 0, no check digit
	howSSCC                     // 18 bare digits
	howElementString            // raw element string
	howBracketed                // (AI)value...
	howDigitalLink              // http(s) URI
	howNotGS1                   // a symbology without GS1 data
)

// attempt is one reading to try.
type attempt struct {
	how  how
	kind ReadingKind
	// linear is the symbology kind for howLinear.
	linear symbologyKind
	// guess marks a reading nothing in the scan confirms.
	guess bool
	// shape marks a reading the scan's length says it is: a number with
	// a check digit of its own (GTIN, UPC-E of 8 digits, SSCC) that
	// exactly fills the scan. When every such reading fails, the scan was
	// most likely that number, misread, whatever else it also reads as.
	shape bool
}

// Readings reads one scan every way that fits and returns the valid
// readings, the most likely first. It trims the whitespace a scanner adds
// (see TrimScan) and accepts everything Parse does.
//
// With an AIM symbology identifier, only the readings that symbology
// allows are tried: ]E0 with 6, 7 or 8 digits is a UPC-E, with 12 or 13 an
// EAN-13 or UPC-A; ]C1, ]d2... an element string. Without one, bare digits
// are tried as
//
//   - a GTIN, when there are 8, 12, 13 or 14 of them;
//   - a UPC-E, when there are 8 (number system 0 or 1, six digits, check
//     digit), 7 or 6 (see below);
//   - an SSCC, when there are 18;
//   - and always a GS1 element string: "17261130" is (17) 2026-11-30.
//
// Scanners send UPC-E in three shapes, set by two options commonly called
// "transmit number system" and "transmit check digit": 8 digits with both,
// 7 digits with one of them, 6 with neither. Seven digits are ambiguous,
// so both are tried: six digits and a check digit with number system 0
// (the check digit confirms it, so it comes first), then the number system
// 0 or 1 and six digits with the check digit computed (a Guess). Six
// digits are number system 0 with a computed check digit (a Guess).
//
// The order is: readings confirmed by a check digit first, then guesses,
// then the element string. Eight digits that are both a valid GTIN-8 and a
// valid UPC-E read as the UPC-E first when they start with 0, since a
// GTIN-8 with prefix 0 is a restricted circulation number used in-store
// only, and as the GTIN-8 first otherwise.
//
// Readings returns a *ReadError when no reading is valid, and also, along
// with the valid readings, when the scan has the length of a number with a
// check digit (8, 12, 13, 14 or 18 digits) and every such reading was
// refused: "4006381333932" reads as an element string (400), but it is
// far more likely an EAN-13 with a bad check digit, which the error says.
func (p Parser) Readings(s string) ([]Reading, error) {
	fail := func(sym Symbology, err error) ([]Reading, error) {
		return nil, &ReadError{Failed: []Reading{{Data: Data{Symbology: sym}, Err: err}}}
	}
	limit := p.MaxInput
	if limit <= 0 {
		limit = DefaultMaxInput
	}
	if len(s) > limit {
		return fail(Symbology{}, errorf(ErrLength, limit+1, "", "input too long: %d bytes, at most %d", len(s), limit))
	}
	lead := len(s) - len(strings.TrimLeft(s, scanSpace))
	s = TrimScan(s)
	if s == "" {
		return fail(Symbology{}, errorf(ErrEmpty, 0, "", "empty scan"))
	}
	t, err := table()
	if err != nil {
		return fail(Symbology{}, err)
	}
	var sym Symbology
	kind, off, body := kindUnknown, lead, s
	if s[0] == ']' {
		if len(s) < 3 {
			return fail(sym, errorf(ErrSyntax, lead+1, "", "incomplete AIM symbology identifier %q", s))
		}
		sym, kind = lookupSymbology(s[:3])
		off, body = lead+3, s[3:]
		if body == "" {
			return fail(sym, errorf(ErrEmpty, off+1, "", "no data after AIM symbology identifier %s", s))
		}
	}
	var buf [6]attempt
	var valid, failed []Reading
	shapeTried, shapeOK := false, false
	for _, a := range plan(buf[:0], body, kind, sym) {
		d := Data{Symbology: sym}
		err := p.try(t, a, body, off, lead, &d)
		shapeTried = shapeTried || a.shape
		if err != nil {
			failed = append(failed, Reading{Kind: a.kind, Data: Data{Symbology: sym, Form: d.Form}, Guess: a.guess, Err: err})
			continue
		}
		shapeOK = shapeOK || a.shape
		valid = append(valid, Reading{Kind: a.kind, Data: d, Guess: a.guess})
	}
	if len(valid) == 0 || shapeTried && !shapeOK {
		return valid, &ReadError{Failed: failed}
	}
	return valid, nil
}

// plan lists the readings to try for body, the most likely first,
// appending to out.
func plan(out []attempt, body string, kind symbologyKind, sym Symbology) []attempt {
	digits := firstNonDigit(body) < 0
	switch {
	case isURI(body):
		return append(out, attempt{how: howDigitalLink, kind: ReadingDigitalLink})
	case kind == kindEAN && len(body) == 8:
		return append(out, attempt{how: howUPCE8, kind: ReadingUPCE})
	case kind == kindEAN && digits && len(body) == 7:
		out = append(out, attempt{how: howUPCE7Check, kind: ReadingUPCE})
		if body[0] == '0' || body[0] == '1' {
			out = append(out, attempt{how: howUPCE7System, kind: ReadingUPCE})
		}
		return out
	case kind == kindEAN && digits && len(body) == 6:
		return append(out, attempt{how: howUPCE6, kind: ReadingUPCE})
	case kind == kindEAN || kind == kindEAN8 || kind == kindEANAddOn || kind == kindITF:
		return append(out, attempt{how: howLinear, kind: ReadingGTIN, linear: kind})
	case kind == kindOther || kind == kindUnknown && sym.AIM != "":
		return append(out, attempt{how: howNotGS1})
	case body[0] == '(':
		return append(out, attempt{how: howBracketed, kind: ReadingElementString})
	case kind == kindUnknown && digits:
		gtin := attempt{how: howLinear, kind: ReadingGTIN, linear: kindEAN, shape: true}
		upce := attempt{how: howUPCE8, kind: ReadingUPCE, shape: true}
		switch n := len(body); {
		case n == 6:
			out = append(out, attempt{how: howUPCE6, kind: ReadingUPCE, guess: true})
		case n == 7:
			out = append(out, attempt{how: howUPCE7Check, kind: ReadingUPCE})
			if body[0] == '0' || body[0] == '1' {
				out = append(out, attempt{how: howUPCE7System, kind: ReadingUPCE, guess: true})
			}
		case n == 8 && body[0] == '0':
			out = append(out, upce, gtin)
		case n == 8 && body[0] == '1':
			out = append(out, gtin, upce)
		case n == 8 || n == 12 || n == 13 || n == 14:
			out = append(out, gtin)
		case n == 18:
			out = append(out, attempt{how: howSSCC, kind: ReadingSSCC, shape: true})
		}
		return append(out, attempt{how: howElementString, kind: ReadingElementString})
	}
	return append(out, attempt{how: howElementString, kind: ReadingElementString})
}

// try reads body, which starts at offset off of the input (lead bytes of
// trimmed whitespace before any symbology identifier), one way into d.
func (p Parser) try(t *dictionary, a attempt, body string, off, lead int, d *Data) error {
	switch a.how {
	case howLinear:
		return p.parseLinear(body, off, a.linear, d)
	case howUPCE8:
		d.Form = FormGTIN
		upca, err := ExpandUPCE(body)
		if err != nil {
			return gtinParseError(err, off)
		}
		setGTIN(d, upca, off)
		return nil
	case howUPCE7Check:
		d.Form = FormGTIN
		upca, err := ExpandUPCE("0" + body)
		if err != nil {
			if ge, ok := err.(*GTINError); ok { // report against what was scanned
				ge.Input, ge.Pos = body, max(ge.Pos-1, 0)
				ge.Reason = strings.Replace(ge.Reason, "check digit", "check digit (read as number system 0, six digits and a check digit)", 1)
			}
			return gtinParseError(err, off)
		}
		setGTIN(d, upca, off)
		return nil
	case howUPCE7System:
		d.Form = FormGTIN
		setGTIN(d, upceToUPCA(body[0], body[1:7]), off)
		return nil
	case howUPCE6:
		d.Form = FormGTIN
		setGTIN(d, upceToUPCA('0', body), off)
		return nil
	case howSSCC:
		d.Form = FormSSCC
		if err := ValidSSCC(body); err != nil {
			return gtinParseError(err, off)
		}
		def := t.ais["00"]
		val, perr := validate(def, body, off+1, p.refYear())
		if perr != nil {
			return perr
		}
		d.Elements = []Element{{AI: "00", Title: def.title, Raw: body, Value: val, Pos: off + 1}}
		return p.finish(t, d, nil)
	case howElementString:
		d.Form = FormElementString
		return p.finish(t, d, p.parseElementString(t, body, off, d))
	case howBracketed:
		d.Form = FormBracketed
		return p.finish(t, d, p.parseBracketed(t, body, off, d))
	case howDigitalLink:
		return p.parseDigitalLink(t, body, off, d)
	}
	name := d.Symbology.Name
	if name == "" {
		name = "unknown symbology"
	}
	return errorf(ErrNotGS1, lead+1, "", "%s %s does not carry GS1 data", d.Symbology.AIM, name)
}

// setGTIN makes d a bare GTIN scan of gtin (8 to 14 valid digits) read at
// offset off.
func setGTIN(d *Data, gtin string, off int) {
	g := "00000000000000"[:14-len(gtin)] + gtin
	d.GTIN = g
	d.Elements = []Element{{AI: "01", Title: title("01"), Raw: g, Value: g, Pos: off + 1}}
	addClassWarning(d)
}

// upceToUPCA expands a UPC-E's number system ns ('0' or '1') and six data
// digits d to the UPC-A, computing its check digit.
func upceToUPCA(ns byte, d string) string {
	body := upceBody(ns, d)
	return body + string(checkDigit(body))
}

// upceBody returns the eleven UPC-A digits before the check digit for a
// UPC-E's number system ns and six data digits d; see ExpandUPCE.
func upceBody(ns byte, d string) string {
	var b string
	switch d[5] {
	case '0', '1', '2':
		b = d[0:2] + d[5:6] + "0000" + d[2:5]
	case '3':
		b = d[0:3] + "00000" + d[3:5]
	case '4':
		b = d[0:4] + "00000" + d[4:5]
	default:
		b = d[0:5] + "0000" + d[5:6]
	}
	return string(ns) + b
}
