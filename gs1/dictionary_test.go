package gs1

import (
	"reflect"
	"strings"
	"testing"
)

func mustTable(t testing.TB) *dictionary {
	t.Helper()
	d, err := table()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestLookupAI(t *testing.T) {
	tests := []struct {
		name string
		ai   string
		want AIInfo
		ok   bool
	}{
		{name: "GTIN", ai: "01", ok: true, want: AIInfo{AI: "01", Title: "GTIN", Format: "N14,csum,gcppos2",
			MinLength: 14, MaxLength: 14, FixedLength: true, DigitalLinkAttribute: true, PrimaryKey: true,
			Qualifiers: [][]string{{"22", "10", "21"}, {"235"}}}},
		{name: "lot", ai: "10", ok: true, want: AIInfo{AI: "10", Title: "BATCH/LOT", Format: "X..20",
			MinLength: 1, MaxLength: 20, DigitalLinkAttribute: true}},
		{name: "serial", ai: "21", ok: true, want: AIInfo{AI: "21", Title: "SERIAL", Format: "X..20",
			MinLength: 1, MaxLength: 20}},
		{name: "range member", ai: "3103", ok: true, want: AIInfo{AI: "3103", Title: "NET WEIGHT (kg)", Format: "N6",
			MinLength: 6, MaxLength: 6, FixedLength: true, DigitalLinkAttribute: true}},
		{name: "fixed length but separator needed", ai: "422", ok: true, want: AIInfo{AI: "422", Title: "ORIGIN",
			Format: "N3,iso3166", MinLength: 3, MaxLength: 3, DigitalLinkAttribute: true}},
		{name: "optional components", ai: "423", ok: true, want: AIInfo{AI: "423", Title: "COUNTRY - INITIAL PROCESS",
			Format: "N3,iso3166 [N3],iso3166 [N3],iso3166 [N3],iso3166 [N3],iso3166", MinLength: 3, MaxLength: 15,
			DigitalLinkAttribute: true}},
		{name: "GLN key", ai: "414", ok: true, want: AIInfo{AI: "414", Title: "LOC No.", Format: "N13,csum,gcppos1",
			MinLength: 13, MaxLength: 13, FixedLength: true, DigitalLinkAttribute: true, PrimaryKey: true,
			Qualifiers: [][]string{{"254"}, {"7040"}}}},
		{name: "SSCC key without qualifiers", ai: "00", ok: true, want: AIInfo{AI: "00", Title: "SSCC", Format: "N18,csum,gcppos2",
			MinLength: 18, MaxLength: 18, FixedLength: true, DigitalLinkAttribute: true, PrimaryKey: true}},
		{name: "internal range", ai: "95", ok: true, want: AIInfo{AI: "95", Title: "INTERNAL", Format: "X..90",
			MinLength: 1, MaxLength: 90, DigitalLinkAttribute: true}},
		{name: "no title", ai: "8110", ok: true, want: AIInfo{AI: "8110", Format: "X..70,couponcode",
			MinLength: 1, MaxLength: 70, DigitalLinkAttribute: true}},
		{name: "unassigned", ai: "04"},
		{name: "outside a range", ai: "3106"},
		{name: "not digits", ai: "AB"},
		{name: "empty", ai: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := LookupAI(tt.ai)
			if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("LookupAI(%q) =\n %+v, %v\nwant\n %+v, %v", tt.ai, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// The table must cover GS1's whole dictionary: spot-check its size.
func TestDictionary_Size(t *testing.T) {
	d := mustTable(t)
	if n := len(d.ais); n < 500 {
		t.Errorf("%d AIs loaded; the dictionary defines over 500", n)
	}
	lines := 0
	for _, l := range strings.Split(dictionaryText, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			lines++
		}
	}
	if lines < 200 {
		t.Errorf("only %d entries in the embedded dictionary", lines)
	}
}

// Every linter the dictionary names must be known to lint.go, so that a
// newer dictionary with a new check fails here rather than being silently
// unchecked.
func TestDictionary_KnownLinters(t *testing.T) {
	for ai, def := range mustTable(t).ais {
		for _, c := range def.comps {
			for _, l := range c.linters {
				if _, ok := linters[l]; !ok {
					t.Errorf("AI %s: linter %q is not in lint.go", ai, l)
				}
			}
		}
	}
}

// Reading an AI from a raw element string relies on no AI being a prefix of
// another.
func TestDictionary_PrefixFree(t *testing.T) {
	d := mustTable(t)
	for a := range d.ais {
		for b := range d.ais {
			if a != b && strings.HasPrefix(b, a) {
				t.Errorf("AI %s is a prefix of AI %s", a, b)
			}
		}
	}
}

// The '*' flag must agree with the GS1 General Specifications' table of
// predefined lengths, which is keyed on an AI's first two digits.
func TestDictionary_PredefinedLengths(t *testing.T) {
	table := map[string]bool{}
	for _, p := range strings.Fields("00 01 02 03 04 11 12 13 14 15 16 17 18 19 20 31 32 33 34 35 36 41") {
		table[p] = true
	}
	for ai, def := range mustTable(t).ais {
		if def.predefined != table[ai[:2]] {
			t.Errorf("AI %s: predefined = %v, but prefix %s is %v in GS1's table", ai, def.predefined, ai[:2], table[ai[:2]])
		}
		if def.predefined && def.minLen != def.maxLen {
			t.Errorf("AI %s: predefined length but %d..%d", ai, def.minLen, def.maxLen)
		}
	}
}

// Every AI and pattern that a rule names must exist.
func TestDictionary_RulesReferToKnownAIs(t *testing.T) {
	d := mustTable(t)
	exists := func(pattern string) bool {
		for ai := range d.ais {
			if matchPattern(pattern, ai) {
				return true
			}
		}
		return false
	}
	for ai, def := range d.ais {
		for _, alts := range def.req {
			for _, group := range alts {
				for _, p := range group {
					if !exists(p) {
						t.Errorf("AI %s: req names %q, which matches no AI", ai, p)
					}
				}
			}
		}
		for _, p := range def.ex {
			if !exists(p) {
				t.Errorf("AI %s: ex names %q, which matches no AI", ai, p)
			}
		}
		for _, seq := range def.dlQualifiers {
			for _, q := range seq {
				if _, ok := d.ais[q]; !ok {
					t.Errorf("AI %s: dlpkey names unknown qualifier %s", ai, q)
				}
			}
		}
	}
}

func TestParseDictionary_Errors(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{name: "empty", text: "# only comments\n\n", want: "no entries"},
		{name: "no specification", text: "01 *?\n", want: "line 1: entry for 01 has no components"},
		{name: "bad AI", text: "0x N3\n", want: "line 1: bad AI or range"},
		{name: "bad range", text: "3105-3100 N6\n", want: "bad AI range"},
		{name: "range widths", text: "31-3100 N6\n", want: "bad AI or range"},
		{name: "bad length", text: "10 X..zz\n", want: "bad maximum length"},
		{name: "zero length", text: "10 X0\n", want: "length out of range"},
		{name: "unclosed optional", text: "10 N3 [N3\n", want: "missing ]"},
		{name: "variable not last", text: "10 X..3 N3\n", want: "follows a variable-length component"},
		{name: "mandatory after optional", text: "10 N3 [N3] N3\n", want: "mandatory component"},
		{name: "duplicate", text: "10 N3\n10 N3\n", want: "line 2: AI 10 defined twice"},
		{name: "bad req", text: "10 N3 req=01+x\n", want: "bad AI pattern"},
		{name: "bad dlpkey", text: "01 N14 dlpkey=2n\n", want: "bad AI"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseDictionary(tt.text)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parseDictionary error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestParseDictionary_Entry(t *testing.T) {
	d, err := parseDictionary("# comment\n3100-3102  *?  N6  req=01,02 ex=310n  unknown=attr  # NET WEIGHT (kg)\r\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.ais) != 3 {
		t.Fatalf("%d AIs, want 3", len(d.ais))
	}
	def := d.ais["3101"]
	if def == nil || !def.predefined || !def.dlAttr || def.title != "NET WEIGHT (kg)" ||
		!reflect.DeepEqual(def.req, [][][]string{{{"01"}, {"02"}}}) || !reflect.DeepEqual(def.ex, []string{"310n"}) {
		t.Errorf("3101 = %+v", def)
	}
}

// FuzzParseDictionary feeds the dictionary parser arbitrary text: it must
// not panic, and what it accepts must be internally consistent.
func FuzzParseDictionary(f *testing.F) {
	for _, line := range strings.Split(dictionaryText, "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			f.Add(line)
		}
	}
	f.Fuzz(func(t *testing.T, text string) {
		d, err := parseDictionary(text)
		if err != nil {
			return
		}
		for ai, def := range d.ais {
			if len(ai) < 2 || len(ai) > 4 || firstNonDigit(ai) >= 0 || def.minLen > def.maxLen || len(def.comps) == 0 {
				t.Fatalf("inconsistent entry %q: %+v", ai, def)
			}
		}
	})
}
