package gs1

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// readingTest is one scan and every reading Readings must return, each
// written "kind HRI", with "~" after the kind for a guess.
type readingTest struct {
	name, input string
	want        []string
	wantErr     error // the sentinel of the ReadError, or nil
	wantPos     int   // its position
}

var readingTests = []readingTest{
	// The examples of issue 10, defect 5.
	{name: "use-by without AI parentheses", input: "17261130",
		want: []string{"element string (17)261130"}, wantErr: ErrCheckDigit, wantPos: 8},
	{name: "UPC-E of eight digits", input: "06543217", want: []string{"UPC-E (01)00065100004327"}},
	{name: "SSCC that is also a lot", input: "106141411234567897",
		want: []string{"SSCC (00)106141411234567897", "element string (10)6141411234567897"}},
	{name: "SSCC with a bad check digit is only a lot", input: "106141411234567898",
		want: []string{"element string (10)6141411234567898"}, wantErr: ErrCheckDigit, wantPos: 18},
	{name: "leading space and CRLF", input: " 4006381333931\r\n",
		want: []string{"GTIN (01)04006381333931", "element string (400)6381333931"}},
	{name: "leading tab and LF", input: "\t06543217\n", want: []string{"UPC-E (01)00065100004327"}},
	{name: "positions count trimmed whitespace", input: "  036000291453 ", wantErr: ErrCheckDigit, wantPos: 14},

	// UPC-E in its three transmitted shapes.
	{name: "UPC-E of six digits is number system 0", input: "654321", want: []string{"UPC-E~ (01)00065100004327"}},
	{name: "UPC-E of seven digits with check digit", input: "6543217", want: []string{"UPC-E (01)00065100004327"}},
	{name: "UPC-E of seven digits with number system", input: "0654321", want: []string{"UPC-E~ (01)00065100004327"}},
	{name: "UPC-E of seven digits read both ways", input: "1654321",
		want: []string{"UPC-E (01)00016200005431", "UPC-E~ (01)00165100004324"}},
	{name: "UPC-E of seven digits with neither", input: "6543218", wantErr: ErrCheckDigit, wantPos: 7},
	{name: "UPC-E reference example", input: "04252614", want: []string{"UPC-E (01)00042100005264"}},
	{name: "UPC-E number system 1", input: "10104644",
		want: []string{"GTIN (01)00000010104644", "UPC-E (01)00101040000064", "element string (10)104644"}},
	{name: "UPC-E before a GTIN-8 of prefix 0", input: "00023757",
		want: []string{"UPC-E (01)00000237000057", "GTIN (01)00000000023757"}},

	// GTINs.
	{name: "EAN-8", input: "96385074", want: []string{"GTIN (01)00000096385074", "element string (96)385074"}},
	{name: "UPC-A", input: "036000291452", want: []string{"GTIN (01)00036000291452"}},
	{name: "GTIN-14", input: "09506000134352", want: []string{"GTIN (01)09506000134352"}},
	{name: "EAN-13 with a bad check digit is refused beside its element string", input: "4006381333932",
		want: []string{"element string (400)6381333932"}, wantErr: ErrCheckDigit, wantPos: 13},
	{name: "GTIN with a bad check digit and nothing else", input: "036000291453", wantErr: ErrCheckDigit, wantPos: 12},
	{name: "EAN-8 with a bad check digit", input: "96385075",
		want: []string{"element string (96)385075"}, wantErr: ErrCheckDigit, wantPos: 8},

	// Other digits: element strings only.
	{name: "five digits", input: "40017", want: []string{"element string (400)17"}},
	{name: "ten digits", input: "0000004711", wantErr: ErrLength, wantPos: 3},
	{name: "SSCC with its AI", input: "00106141411234567897", want: []string{"element string (00)106141411234567897"}},

	// A symbology identifier decides alone.
	{name: "GS1-128 of SSCC digits is a lot", input: "]C1106141411234567897", want: []string{"element string (10)6141411234567897"}},
	{name: "EAN/UPC of eight digits is UPC-E only", input: "]E006543217", want: []string{"UPC-E (01)00065100004327"}},
	{name: "EAN/UPC of six digits is no guess", input: "]E0654321", want: []string{"UPC-E (01)00065100004327"}},
	{name: "EAN/UPC of seven digits with number system", input: "]E00654321", want: []string{"UPC-E (01)00065100004327"}},
	{name: "EAN-8 is no UPC-E", input: "]E406543217", wantErr: ErrCheckDigit, wantPos: 11},
	{name: "EAN-13", input: "]E04006381333931", want: []string{"GTIN (01)04006381333931"}},
	{name: "identifier after a space", input: " ]C0ABC", wantErr: ErrNotGS1, wantPos: 2},

	// One form, one reading.
	{name: "bracketed", input: "(17)261130", want: []string{"element string (17)261130"}},
	{name: "element string with GTIN, expiry, lot", input: "0109506000134352172611301017261231",
		want: []string{"element string (01)09506000134352(17)261130(10)17261231"}},
	{name: "Digital Link", input: "https://id.gs1.org/01/09506000134352?17=261130",
		want: []string{"Digital Link (01)09506000134352(17)261130"}},
	{name: "internal label", input: "TOTE-0001", wantErr: ErrSyntax, wantPos: 1},
	{name: "whitespace only", input: " \t\r\n", wantErr: ErrEmpty},
	{name: "empty", input: "", wantErr: ErrEmpty},
}

func describe(r Reading) string {
	k := r.Kind.String()
	if r.Guess {
		k += "~"
	}
	return k + " " + r.Data.HRI()
}

func TestReadings(t *testing.T) {
	p := Parser{Now: testNow}
	for _, tt := range readingTests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := p.Readings(tt.input)
			var got []string
			for _, r := range rs {
				got = append(got, describe(r))
				checkReading(t, p, r)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Readings(%q)\n got %q\nwant %q", tt.input, got, tt.want)
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Readings(%q) error: %v", tt.input, err)
				}
				return
			}
			var re *ReadError
			var pe *ParseError
			switch {
			case !errors.As(err, &re) || len(re.Failed) == 0:
				t.Fatalf("Readings(%q) error = %v (%T), want a *ReadError", tt.input, err, err)
			case !errors.Is(err, tt.wantErr):
				t.Errorf("error %q does not wrap %v", err, tt.wantErr)
			case !errors.As(err, &pe) || pe.Pos != tt.wantPos:
				t.Errorf("error %q: want a *ParseError at position %d", err, tt.wantPos)
			}
		})
	}
}

// The use-by date of "17261130" is a date, and the UPC-E of "06543217"
// is the GTIN the issue names.
func TestReadings_values(t *testing.T) {
	p := Parser{Now: testNow}
	rs, _ := p.Readings("17261130")
	if exp, ok := rs[0].Data.Expiry(); !ok || !exp.Equal(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("expiry of 17261130 = %v, %v", exp, ok)
	}
	rs, _ = p.Readings("06543217")
	if upca, err := ExpandUPCE("06543217"); err != nil || upca != "065100004327" || rs[0].Data.GTIN != "00"+upca {
		t.Errorf("UPC-E 06543217 expands to %q, %v; reading GTIN %q", upca, err, rs[0].Data.GTIN)
	}
	rs, _ = p.Readings("106141411234567897")
	if rs[0].Data.SSCC() != "106141411234567897" || rs[0].Data.Form != FormSSCC || rs[1].Data.Lot() != "6141411234567897" {
		t.Errorf("readings of an SSCC: %+v", rs)
	}
}

// ReadError lists every reading refused, the most likely first, and reads
// as that one.
func TestReadings_readErrorListsFailures(t *testing.T) {
	_, err := Parser{Now: testNow}.Readings("17261199")
	var re *ReadError
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T)", err, err)
	}
	var kinds []string
	for _, f := range re.Failed {
		kinds = append(kinds, f.Kind.String())
		if f.Err == nil {
			t.Errorf("failure without an error: %+v", f)
		}
	}
	if want := []string{"GTIN", "UPC-E", "element string"}; !reflect.DeepEqual(kinds, want) {
		t.Errorf("failed kinds %q, want %q", kinds, want)
	}
	if err.Error() != re.Failed[0].Err.Error() || !strings.Contains(err.Error(), "GTIN") {
		t.Errorf("error %q, want the GTIN's", err)
	}
}

// Parse returns the most likely reading, or its error.
func TestParse_mostLikelyReading(t *testing.T) {
	p := Parser{Now: testNow}
	for _, tt := range readingTests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := p.Parse(tt.input)
			rs, rerr := p.Readings(tt.input)
			if rerr != nil {
				var re *ReadError
				errors.As(rerr, &re)
				if err == nil || err.Error() != re.Failed[0].Err.Error() {
					t.Fatalf("Parse(%q) error %v, want %v", tt.input, err, re.Failed[0].Err)
				}
				if len(d.Elements) != 0 {
					t.Fatalf("Parse(%q) returned elements with its error", tt.input)
				}
				return
			}
			if err != nil || d.HRI() != rs[0].Data.HRI() {
				t.Fatalf("Parse(%q) = %s, %v; want %s", tt.input, d.HRI(), err, rs[0].Data.HRI())
			}
		})
	}
}

// checkReading asserts what every valid reading holds.
func checkReading(t *testing.T, p Parser, r Reading) {
	t.Helper()
	if r.Err != nil || r.Kind == ReadingNone {
		t.Fatalf("valid reading with error or no kind: %+v", r)
	}
	checkData(t, r.Data)
	switch r.Kind {
	case ReadingGTIN, ReadingUPCE:
		if !ValidGTIN(r.Data.GTIN) || len(r.Data.GTIN) != 14 {
			t.Fatalf("%s reading with GTIN %q", r.Kind, r.Data.GTIN)
		}
	case ReadingSSCC:
		if err := ValidSSCC(r.Data.SSCC()); err != nil {
			t.Fatalf("SSCC reading: %v", err)
		}
	}
	// The reading's data survives a round trip through its HRI.
	d, err := p.Parse(r.Data.HRI())
	if err != nil || !sameElements(d.Elements, r.Data.Elements) {
		t.Fatalf("reading %s does not read back: %+v, %v", describe(r), d.Elements, err)
	}
}

// FuzzReadings checks that Readings never panics, that every reading it
// returns is valid, that it is deterministic, and that every error is a
// *ReadError of well-formed *ParseErrors.
func FuzzReadings(f *testing.F) {
	for _, tt := range readingTests {
		f.Add(tt.input)
	}
	for _, file := range []string{"scans.txt", "digitallink.txt"} {
		for _, v := range readVectors(f, file) {
			f.Add(v.input)
		}
	}
	p := Parser{Now: testNow}
	f.Fuzz(func(t *testing.T, s string) {
		rs, err := p.Readings(s)
		for _, r := range rs {
			checkReading(t, p, r)
		}
		if err != nil {
			var re *ReadError
			if !errors.As(err, &re) || len(re.Failed) == 0 {
				t.Fatalf("Readings(%q) error %v (%T), want a *ReadError", s, err, err)
			}
			for _, f := range re.Failed {
				checkParseError(t, s, f.Err)
				if len(f.Data.Elements) != 0 {
					t.Fatalf("failed reading %s kept elements", f.Kind)
				}
			}
		} else if len(rs) == 0 {
			t.Fatalf("Readings(%q): no reading and no error", s)
		}
		rs2, err2 := p.Readings(s)
		if len(rs2) != len(rs) || (err == nil) != (err2 == nil) || err != nil && err.Error() != err2.Error() {
			t.Fatalf("Readings(%q) not deterministic: %d, %v then %d, %v", s, len(rs), err, len(rs2), err2)
		}
		for i := range rs {
			if describe(rs[i]) != describe(rs2[i]) || !sameElements(rs[i].Data.Elements, rs2[i].Data.Elements) {
				t.Fatalf("Readings(%q) not deterministic: %s then %s", s, describe(rs[i]), describe(rs2[i]))
			}
		}
	})
}
