package gs1

import (
	"bufio"
	"errors"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testNow is the scan time of the test vectors: its year anchors the
// century window.
var testNow = time.Date(2026, 6, 15, 10, 0, 0, 0, time.UTC)

var sentinels = map[string]error{
	"ErrEmpty": ErrEmpty, "ErrNotDigit": ErrNotDigit, "ErrLength": ErrLength,
	"ErrCheckDigit": ErrCheckDigit, "ErrNumberSystem": ErrNumberSystem,
	"ErrUnknownAI": ErrUnknownAI, "ErrCharset": ErrCharset, "ErrDate": ErrDate,
	"ErrValue": ErrValue, "ErrDuplicateAI": ErrDuplicateAI, "ErrSyntax": ErrSyntax,
	"ErrNotGS1": ErrNotGS1, "ErrNotRCN": ErrNotRCN,
}

type scanVector struct {
	name, input string
	wantHRI     string // for "ok"
	wantErr     error  // for "err"
	wantPos     int
}

// readVectors reads a "name TAB input TAB want" file from testdata; input
// and want are unquoted with Go's string escapes.
func readVectors(tb testing.TB, file string) []scanVector {
	tb.Helper()
	f, err := os.Open("testdata/" + file)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var vs []scanVector
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, "\t")
		if len(fields) != 3 {
			tb.Fatalf("testdata/%s:%d: want 3 tab-separated fields, got %d", file, n, len(fields))
		}
		unq := func(s string) string {
			u, err := strconv.Unquote(`"` + strings.ReplaceAll(s, `"`, `\"`) + `"`)
			if err != nil {
				tb.Fatalf("testdata/%s:%d: %v", file, n, err)
			}
			return u
		}
		v := scanVector{name: fields[0], input: unq(fields[1])}
		want := unq(fields[2])
		switch {
		case strings.HasPrefix(want, "ok "):
			v.wantHRI = strings.TrimPrefix(want, "ok ")
		case strings.HasPrefix(want, "err "):
			parts := strings.Fields(want)
			if len(parts) != 3 || sentinels[parts[1]] == nil {
				tb.Fatalf("testdata/%s:%d: want \"err ErrName pos\"", file, n)
			}
			v.wantErr = sentinels[parts[1]]
			v.wantPos, _ = strconv.Atoi(parts[2])
		default:
			tb.Fatalf("testdata/%s:%d: want starts with ok or err", file, n)
		}
		vs = append(vs, v)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return vs
}

func TestParse_Testdata(t *testing.T) {
	p := Parser{Now: testNow}
	for _, v := range readVectors(t, "scans.txt") {
		t.Run(v.name, func(t *testing.T) {
			d, err := p.Parse(v.input)
			if v.wantErr != nil {
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("Parse(%q) error = %v (%T), want *ParseError wrapping %v", v.input, err, err, v.wantErr)
				}
				if !errors.Is(err, v.wantErr) {
					t.Errorf("error %q does not wrap %v", err, v.wantErr)
				}
				if pe.Pos != v.wantPos {
					t.Errorf("error %q: Pos = %d, want %d", err, pe.Pos, v.wantPos)
				}
				if len(d.Elements) != 0 || d.GTIN != "" {
					t.Errorf("failed parse returned data: %+v", d)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q) error: %v", v.input, err)
			}
			if got := d.HRI(); got != v.wantHRI {
				t.Errorf("Parse(%q).HRI()\n got %s\nwant %s", v.input, got, v.wantHRI)
			}
			checkData(t, d)
		})
	}
}

// checkData asserts the invariants every successful parse must hold.
func checkData(t *testing.T, d Data) {
	t.Helper()
	if len(d.Elements) == 0 {
		t.Fatalf("no elements: %+v", d)
	}
	seen := map[string]bool{}
	for _, e := range d.Elements {
		info, ok := LookupAI(e.AI)
		if !ok {
			t.Errorf("element with unknown AI %q", e.AI)
		}
		if e.Title != info.Title {
			t.Errorf("AI %s: Title %q, want %q", e.AI, e.Title, info.Title)
		}
		if seen[e.AI] {
			t.Errorf("AI %s appears twice", e.AI)
		}
		seen[e.AI] = true
		if len(e.Raw) < info.MinLength || len(e.Raw) > info.MaxLength {
			t.Errorf("AI %s: raw %q has length outside %d..%d", e.AI, e.Raw, info.MinLength, info.MaxLength)
		}
		if e.Value == nil || e.Pos < 1 {
			t.Errorf("AI %s: Value %v, Pos %d", e.AI, e.Value, e.Pos)
		}
	}
	if g, ok := d.Get("01"); ok != (d.GTIN != "") || ok && g.Raw != d.GTIN {
		t.Errorf("GTIN %q does not match element 01 %+v", d.GTIN, g)
	}
	if d.GTIN != "" && !ValidGTIN(d.GTIN) {
		t.Errorf("GTIN %q is not valid", d.GTIN)
	}
}

func TestParse_Values(t *testing.T) {
	date := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name  string
		input string
		ai    string
		want  any
	}{
		{name: "expiry", input: "(01)09506000134352(17)261231", ai: "17", want: date(2026, 12, 31)},
		{name: "day 00 is last day", input: "(01)09506000134352(17)261200", ai: "17", want: date(2026, 12, 31)},
		{name: "day 00 in February", input: "(01)09506000134352(17)260200", ai: "17", want: date(2026, 2, 28)},
		{name: "day 00 in leap February", input: "(01)09506000134352(17)280200", ai: "17", want: date(2028, 2, 29)},
		{name: "century window ahead", input: "(01)09506000134352(17)760101", ai: "17", want: date(2076, 1, 1)},
		{name: "century window behind", input: "(01)09506000134352(11)770101", ai: "11", want: date(1977, 1, 1)},
		{name: "net weight kg", input: "(01)95012345678903(3103)000123", ai: "3103", want: Decimal{Units: 123, Places: 3}},
		{name: "net weight no decimals", input: "(01)95012345678903(3100)000123", ai: "3100", want: Decimal{Units: 123, Places: 0}},
		{name: "price", input: "(01)95012345678903(30)1(3922)1999", ai: "3922", want: Decimal{Units: 1999, Places: 2}},
		{name: "amount with currency", input: "(8020)REF1(415)9521234000006(3912)97812345", ai: "3912",
			want: Amount{Currency: "978", Value: Decimal{Units: 12345, Places: 2}}},
		{name: "count", input: "(00)376104250021234569(02)09521234543213(37)12", ai: "37", want: 12},
		{name: "date and time", input: "(01)09506000134352(7003)2612311545", ai: "7003", want: time.Date(2026, 12, 31, 15, 45, 0, 0, time.UTC)},
		{name: "production time with seconds", input: "(01)09506000134352(8008)26010112304", ai: "8008", want: "err"},
		{name: "production time hh mi ss", input: "(01)09506000134352(8008)260101123045", ai: "8008", want: time.Date(2026, 1, 1, 12, 30, 45, 0, time.UTC)},
		{name: "harvest date range", input: "(01)09506000134352(7007)260101260131", ai: "7007", want: []time.Time{date(2026, 1, 1), date(2026, 1, 31)}},
		{name: "harvest single date", input: "(01)09506000134352(7007)260101", ai: "7007", want: date(2026, 1, 1)},
		{name: "percent-encoded name", input: "(00)106141411234567897(4301)Anna%20Nowak", ai: "4301", want: "Anna Nowak"},
		{name: "lot", input: "(01)09506000134352(10)ABC-123/x", ai: "10", want: "ABC-123/x"},
		{name: "country", input: "(01)09506000134352(422)276", ai: "422", want: "276"},
	}
	p := Parser{Now: testNow}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := p.Parse(tt.input)
			if tt.want == "err" {
				if err == nil {
					t.Fatalf("Parse(%q) = %+v, want an error", tt.input, d)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.input, err)
			}
			e, ok := d.Get(tt.ai)
			if !ok {
				t.Fatalf("no AI %s in %+v", tt.ai, d)
			}
			if !reflect.DeepEqual(e.Value, tt.want) {
				t.Errorf("AI %s value = %#v (%T), want %#v", tt.ai, e.Value, e.Value, tt.want)
			}
		})
	}
}

func TestParse_ZeroNowReadsTwentyYY(t *testing.T) {
	d, err := Parse("(01)09506000134352(17)800101")
	if err != nil {
		t.Fatal(err)
	}
	if exp, ok := d.Expiry(); !ok || exp.Year() != 2080 {
		t.Errorf("Expiry() = %v, %v; want 2080-01-01", exp, ok)
	}
	d, err = Parser{Now: testNow}.Parse("(01)09506000134352(17)800101")
	if err != nil {
		t.Fatal(err)
	}
	if exp, _ := d.Expiry(); exp.Year() != 1980 {
		t.Errorf("with Now in 2026, Expiry() = %v; want 1980-01-01", exp)
	}
}

func TestParse_Accessors(t *testing.T) {
	d, err := Parser{Now: testNow}.Parse("]C10109506000134352172612311017261231\x1d21XYZ")
	if err != nil {
		t.Fatal(err)
	}
	if d.Symbology != (Symbology{AIM: "]C1", Name: "GS1-128"}) || d.Form != FormElementString {
		t.Errorf("Symbology, Form = %+v, %v", d.Symbology, d.Form)
	}
	if d.GTIN != "09506000134352" || d.Lot() != "17261231" || d.Serial() != "XYZ" || d.SSCC() != "" {
		t.Errorf("GTIN, Lot, Serial, SSCC = %q, %q, %q, %q", d.GTIN, d.Lot(), d.Serial(), d.SSCC())
	}
	if exp, ok := d.Expiry(); !ok || !exp.Equal(time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Expiry() = %v, %v", exp, ok)
	}
	if _, ok := d.Get("15"); ok {
		t.Error("Get(15) found an element that is not there")
	}
	if got, want := d.ElementString(), "0109506000134352172612311017261231\x1d21XYZ"; got != want {
		t.Errorf("ElementString() = %q, want %q", got, want)
	}
	if len(d.Warnings) != 0 {
		t.Errorf("Warnings = %v", d.Warnings)
	}
	if d.Class() != GTINProduct {
		t.Errorf("Class() = %v", d.Class())
	}
}

func TestParse_Warnings(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []string
	}{
		{name: "lot without GTIN", input: "(10)ABC",
			want: []string{"AI (10): needs (01), (02), (03), (8006) or (8026) on the same item"}},
		{name: "two net weights", input: "(01)95012345678903(3103)000123(3102)001230",
			want: []string{"AI (3103): must not appear with AI (3102)"}},
		{name: "GTIN with CONTENT", input: "(01)09506000134352(02)09521234543213(37)1",
			want: []string{
				"AI (01): must not appear with AI (37)",
				"AI (02): must not appear with AI (01)",
				"AI (37): needs (00) with (02) or (00) with (8026) on the same item",
			}},
		{name: "restricted circulation", input: "2112345012346",
			want: []string{"AI (01): restricted circulation number (variable-measure or in-store item), not a product GTIN; see ParseVariableMeasure"}},
		{name: "clean", input: "(01)09506000134352(10)A(21)B"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse(tt.input)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range d.Warnings {
				got = append(got, w.String())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Warnings\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestParser_Separator(t *testing.T) {
	p := Parser{Separator: '^', Now: testNow}
	d, err := p.Parse("]C10109506000134352^10ABC^17261231")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := d.HRI(), "(01)09506000134352(10)ABC(17)261231"; got != want {
		t.Errorf("HRI() = %s, want %s", got, want)
	}
	// Without the separator configured, '^' is where an AI should be.
	if _, err := Parse("]C10109506000134352^10ABC"); !errors.Is(err, ErrSyntax) {
		t.Errorf("without Separator: error %v, want ErrSyntax", err)
	}
	// After a variable-length AI it is data, which CSET 82 does not allow.
	if _, err := Parse("]C11012^17261231"); !errors.Is(err, ErrCharset) {
		t.Errorf("without Separator: error %v, want ErrCharset", err)
	}
}

func TestParser_MaxInput(t *testing.T) {
	long := "(01)09506000134352(10)" + strings.Repeat("A", 100)
	_, err := Parser{MaxInput: 50}.Parse(long)
	var pe *ParseError
	if !errors.As(err, &pe) || !errors.Is(err, ErrLength) || pe.Pos != 51 {
		t.Fatalf("error = %v, want ErrLength at 51", err)
	}
	if _, err := Parse(strings.Repeat("1", DefaultMaxInput+1)); !errors.Is(err, ErrLength) {
		t.Fatalf("error = %v, want ErrLength", err)
	}
}

func TestParse_NotGS1KeepsSymbology(t *testing.T) {
	d, err := Parse("]A0LOC-01-02-03")
	if !errors.Is(err, ErrNotGS1) {
		t.Fatalf("error = %v, want ErrNotGS1", err)
	}
	if d.Symbology.Name != "Code 39" {
		t.Errorf("Symbology = %+v", d.Symbology)
	}
}

func TestParseError_Message(t *testing.T) {
	tests := []struct {
		name, input, want string
	}{
		{name: "check digit", input: "(01)09506000134353", want: "gs1: AI (01): bad check digit: got 3 want 2 (position 18)"},
		{name: "unknown AI", input: "(04)1", want: "gs1: AI (04): unknown AI (position 2)"},
		{name: "too long", input: "0109506000134352100123456789012345678901217",
			want: "gs1: AI (10): value too long: 25 characters, at most 20; is a GS separator missing? (position 39)"},
		{name: "bare GTIN", input: "036000291453", want: `gs1: GTIN "036000291453": bad check digit: got 3 want 2 (position 12)`},
		{name: "bad day", input: "(17)260431", want: "gs1: AI (17): invalid day 31 for 2026-04 (position 9)"},
		{name: "bad char", input: "(10)AB C", want: "gs1: AI (10): character ' ' is not allowed (GS1 CSET 82: letters, digits and !\"%&'()*+,-./:;<=>?_) (position 7)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parser{Now: testNow}.Parse(tt.input)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Parse(%q) error\n got %v\nwant %s", tt.input, err, tt.want)
			}
		})
	}
}

// FuzzParse checks that Parse never panics, that every error is a
// *ParseError wrapping a sentinel, and that what it reads survives a round
// trip through both output forms.
func FuzzParse(f *testing.F) {
	for _, v := range readVectors(f, "scans.txt") {
		f.Add(v.input)
	}
	for _, v := range readVectors(f, "digitallink.txt") {
		f.Add(v.input)
	}
	p := Parser{Now: testNow}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := p.Parse(s)
		if err != nil {
			checkParseError(t, s, err)
			if len(d.Elements) != 0 {
				t.Fatalf("failed parse returned elements")
			}
			return
		}
		checkData(t, d)
		for _, again := range []string{d.HRI(), "]C1" + d.ElementString()} {
			d2, err := p.Parse(again)
			if err != nil {
				t.Fatalf("Parse(%q) ok, but its re-encoding %q fails: %v", s, again, err)
			}
			if !sameElements(d.Elements, d2.Elements) {
				t.Fatalf("round trip of %q via %q:\n got %+v\nwant %+v", s, again, d2.Elements, d.Elements)
			}
		}
	})
}

// checkParseError asserts that err is a well-formed *ParseError.
func checkParseError(t *testing.T, input string, err error) {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("Parse(%q) error %v is %T, want *ParseError", input, err, err)
	}
	found := false
	for _, s := range sentinels {
		found = found || errors.Is(err, s)
	}
	if !found {
		t.Fatalf("Parse(%q) error %v wraps no sentinel", input, err)
	}
	if pe.Pos < 0 || pe.Pos > len(input)+1 && !errors.Is(err, ErrLength) {
		t.Fatalf("Parse(%q) error %v: Pos %d outside the input", input, err, pe.Pos)
	}
	if pe.Reason == "" {
		t.Fatalf("Parse(%q) error without a reason", input)
	}
}

func sameElements(a, b []Element) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].AI != b[i].AI || a[i].Raw != b[i].Raw || !reflect.DeepEqual(a[i].Value, b[i].Value) {
			return false
		}
	}
	return true
}

func BenchmarkParse(b *testing.B) {
	inputs := []string{
		"]C10109506000134352172612311017261231\x1d21XYZ",
		"(01)09506000134352(17)261231(10)ABC123",
		"4006381333931",
		"https://id.gs1.org/01/09521234543213/10/ABC123?17=261231",
	}
	p := Parser{Now: testNow}
	if _, err := p.Parse(inputs[0]); err != nil { // load the dictionary outside the timer
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		if _, err := p.Parse(inputs[n%len(inputs)]); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "scans/s")
}
