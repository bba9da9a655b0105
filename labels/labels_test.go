package labels

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var t0 = time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)

func TestField(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"plain", "Pack station 1", "^FH_^FDPack station 1^FS"},
		{"empty", "", "^FH_^FD^FS"},
		{"end of label", "A^XZ^XA^FDevil", "^FH_^FDA_5EXZ_5EXA_5EFDevil^FS"},
		{"control command", "~JR~JA", "^FH_^FD_7EJR_7EJA^FS"},
		{"hex indicator", "a_5Eb", "^FH_^FDa_5F5Eb^FS"},
		{"field block escape", `line\&two`, "^FH_^FDline_5C&two^FS"},
		{"control characters", "a\r\nb\t\x00\x1b\x7f", "^FH_^FDa_0D_0Ab_09_00_1B_7F^FS"},
		{"utf-8", "Zoë", "^FH_^FDZo_C3_AB^FS"},
		{"invalid utf-8", "\xff\xfe", "^FH_^FD_FF_FE^FS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Field(tc.in)
			if got != tc.want {
				t.Fatalf("Field(%q) = %q, want %q", tc.in, got, tc.want)
			}
			mustBeSafeField(t, tc.in, got)
		})
	}
}

func TestField_Long(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		keep int // bytes of in that are kept
	}{
		{"ascii", strings.Repeat("a", 5000), MaxFieldBytes},
		{"exactly the limit", strings.Repeat("b", MaxFieldBytes), MaxFieldBytes},
		// "€" is 3 bytes: the one that would straddle the limit is dropped whole.
		{"no half character", strings.Repeat("a", MaxFieldBytes-2) + "€€", MaxFieldBytes - 2},
		{"invalid bytes are whole characters", strings.Repeat("a", MaxFieldBytes-1) + "\x80\x80\x80\x80\x80", MaxFieldBytes},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Field(tc.in)
			if data := unescape(t, got[len("^FH_^FD"):len(got)-len("^FS")]); data != tc.in[:tc.keep] {
				t.Fatalf("kept %d bytes, want %d", len(data), tc.keep)
			}
			mustBeSafeField(t, tc.in, got)
		})
	}
}

// mustBeSafeField checks the property every field must have: it is
// exactly ^FH_^FD data ^FS, where data is printable ASCII without "^",
// "~" or "\", every "_" starts a two-digit upper-case hex escape, and the
// bytes the escapes stand for are in (cut at a character boundary to
// MaxFieldBytes). So the only prefix characters in the output are the
// three of the wrapper, and the printer prints in exactly.
func mustBeSafeField(t testing.TB, in, out string) {
	t.Helper()
	const head, tail = "^FH_^FD", "^FS"
	if !strings.HasPrefix(out, head) || !strings.HasSuffix(out, tail) || len(out) < len(head)+len(tail) {
		t.Fatalf("Field(%q) = %q: not ^FH_^FD…^FS", in, out)
	}
	data := out[len(head) : len(out)-len(tail)]
	for i := 0; i < len(data); i++ {
		if c := data[i]; c < 0x20 || c > 0x7e || c == '^' || c == '~' || c == '\\' {
			t.Fatalf("Field(%q) = %q: byte %q at %d of the data", in, out, c, i)
		}
	}
	got := unescape(t, data)
	if len(in) <= MaxFieldBytes {
		if got != in {
			t.Fatalf("Field(%q) prints %q", in, got)
		}
		return
	}
	if !strings.HasPrefix(in, got) || len(got) > MaxFieldBytes || len(got) < MaxFieldBytes-utf8.UTFMax+1 {
		t.Fatalf("Field of %d bytes prints %d bytes, not a prefix cut near %d", len(in), len(got), MaxFieldBytes)
	}
	if r, _ := utf8.DecodeRuneInString(in[len(got):]); r != utf8.RuneError && !utf8.RuneStart(in[len(got)]) {
		t.Fatalf("cut inside a character at %d", len(got))
	}
}

// unescape decodes ^FH_ field data as the printer does, failing on a "_"
// that does not start a two-digit upper-case hex escape.
func unescape(t testing.TB, data string) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i < len(data); i++ {
		if data[i] != '_' {
			b.WriteByte(data[i])
			continue
		}
		if i+2 >= len(data) {
			t.Fatalf("escape cut short at %d in %q", i, data)
		}
		hex := data[i+1 : i+3]
		if strings.ToUpper(hex) != hex {
			t.Fatalf("lower-case escape %q", hex)
		}
		v, err := strconv.ParseUint(hex, 16, 8)
		if err != nil {
			t.Fatalf("bad escape _%s in %q", hex, data)
		}
		b.WriteByte(byte(v))
		i += 2
	}
	return b.String()
}

func FuzzField(f *testing.F) {
	for _, s := range []string{"", "plain", "^XZ", "~JA~JR", "_5E", "\x00\r\n", "Zoë", "\xff", `\&`, strings.Repeat("é", 2000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		mustBeSafeField(t, s, Field(s))
	})
}

// commands lists the command names of a ZPL label in order: every "^" or
// "~" with the two characters after it.
func commands(zpl []byte) []string {
	var out []string
	for i, c := range zpl {
		if c == '^' || c == '~' {
			out = append(out, string(zpl[i:min(i+3, len(zpl))]))
		}
	}
	return out
}

func TestTest_Golden(t *testing.T) {
	for _, dpi := range []int{203, 300} {
		t.Run(strconv.Itoa(dpi), func(t *testing.T) {
			got := Test("PACK-1 (Zoë's bench)", dpi, t0)
			path := filepath.Join("testdata", "test_"+strconv.Itoa(dpi)+".zpl")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("label differs from %s (run with -update if intended):\n%s", path, got)
			}
		})
	}
}

func TestTest_Size(t *testing.T) {
	for _, tc := range []struct {
		dpi        int
		pw, ll, by string
	}{
		{0, "^PW812", "^LL1218", "^BY2,"},
		{152, "^PW608", "^LL912", "^BY1,"},
		{203, "^PW812", "^LL1218", "^BY2,"},
		{300, "^PW1200", "^LL1800", "^BY3,"},
		{600, "^PW2400", "^LL3600", "^BY6,"},
	} {
		got := string(Test("S", tc.dpi, t0))
		for _, want := range []string{tc.pw, tc.ll, tc.by} {
			if !strings.Contains(got, want) {
				t.Errorf("dpi %d: label lacks %s", tc.dpi, want)
			}
		}
		if !strings.HasPrefix(got, "^XA") || !strings.HasSuffix(got, "^XZ\n") || strings.Count(got, "^XA") != 1 || strings.Count(got, "^XZ") != 1 {
			t.Errorf("dpi %d: not one ^XA…^XZ format", tc.dpi)
		}
	}
}

// FuzzTest checks that no station name changes the commands of a test
// label: hostile text cannot end the label, start another, or slip in a
// control command.
func FuzzTest(f *testing.F) {
	for _, s := range []string{"PACK-1", "^XZ^XA^FO0,0^GB800,800,800^FS", "~JA", "evil_5EXZ", "\x00\x02\x03", "Zoë"} {
		f.Add(s, 203)
	}
	f.Fuzz(func(t *testing.T, name string, dpi int) {
		dpi = []int{0, 152, 203, 300, 600}[uint(dpi)%5]
		want := commands(Test("x", dpi, t0))
		if got := commands(Test(name, dpi, t0)); !slices.Equal(got, want) {
			t.Fatalf("name %q changes the label's commands:\n got %v\nwant %v", name, got, want)
		}
	})
}

func BenchmarkTest(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Test("PACK-1 (Zoë's bench)", 203, t0)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "labels/s")
}

func BenchmarkField(b *testing.B) {
	s := "Ada Lovelace ^XZ ~JA 12 St James's Square, London – Zoë_O'Brien"
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		Field(s)
	}
}
