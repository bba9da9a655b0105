package gs1

import (
	"bufio"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestCheckDigit(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    byte
		wantErr error
	}{
		{name: "EAN-13", body: "400638133393", want: '1'},
		{name: "UPC-A", body: "03600029145", want: '2'},
		{name: "EAN-8", body: "9638507", want: '4'},
		{name: "GTIN-14", body: "0950600013435", want: '2'},
		{name: "SSCC", body: "10614141123456789", want: '7'},
		{name: "zero sum", body: "0000000", want: '0'},
		{name: "single digit", body: "1", want: '7'},
		{name: "empty", body: "", wantErr: ErrEmpty},
		{name: "letter", body: "12a4", wantErr: ErrNotDigit},
		{name: "unicode digit", body: "12٣4", wantErr: ErrNotDigit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CheckDigit(tt.body)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("CheckDigit(%q) error = %v, want %v", tt.body, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("CheckDigit(%q) = %q, %v; want %q", tt.body, got, err, tt.want)
			}
		})
	}
}

type gtinVector struct {
	line          int
	input, want   string
	wantErrSubstr string
}

// readGTINVectors reads testdata/gtin.txt. Inputs are unquoted with
// strconv.Unquote rules so that control characters can be written as \n.
func readGTINVectors(tb testing.TB) []gtinVector {
	tb.Helper()
	f, err := os.Open("testdata/gtin.txt")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var vs []gtinVector
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		in, want, ok := strings.Cut(line, "\t")
		if !ok {
			tb.Fatalf("testdata/gtin.txt:%d: no tab", n)
		}
		in, err := strconv.Unquote(`"` + in + `"`)
		if err != nil {
			tb.Fatalf("testdata/gtin.txt:%d: %v", n, err)
		}
		v := gtinVector{line: n, input: in}
		if e, isErr := strings.CutPrefix(want, "error: "); isErr {
			v.wantErrSubstr = e
		} else {
			v.want = want
		}
		vs = append(vs, v)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return vs
}

func TestNormalizeGTIN_Testdata(t *testing.T) {
	for _, v := range readGTINVectors(t) {
		t.Run(strconv.Itoa(v.line)+"_"+v.input, func(t *testing.T) {
			got, err := NormalizeGTIN(v.input)
			if v.wantErrSubstr != "" {
				if err == nil || !strings.Contains(err.Error(), v.wantErrSubstr) {
					t.Fatalf("NormalizeGTIN(%q) = %q, %v; want error containing %q", v.input, got, err, v.wantErrSubstr)
				}
				var ge *GTINError
				if !errors.As(err, &ge) {
					t.Fatalf("error %T is not a *GTINError", err)
				}
				if got != "" {
					t.Fatalf("NormalizeGTIN(%q) returned %q with an error", v.input, got)
				}
				if ValidGTIN(v.input) {
					t.Fatalf("ValidGTIN(%q) = true for a refused GTIN", v.input)
				}
				return
			}
			if err != nil || got != v.want {
				t.Fatalf("NormalizeGTIN(%q) = %q, %v; want %q", v.input, got, err, v.want)
			}
			if !ValidGTIN(v.input) {
				t.Fatalf("ValidGTIN(%q) = false", v.input)
			}
		})
	}
}

func TestNormalizeGTIN_Errors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr error
		wantPos int
		wantMsg string
	}{
		{name: "empty", in: "", wantErr: ErrEmpty, wantMsg: `gs1: GTIN "": empty`},
		{name: "letter", in: "03600O291452", wantErr: ErrNotDigit, wantPos: 6,
			wantMsg: `gs1: GTIN "03600O291452": non-digit 'O' at position 6`},
		{name: "invalid utf8", in: "0360\xff0291452", wantErr: ErrNotDigit, wantPos: 5,
			wantMsg: `gs1: GTIN "0360\xff0291452": non-digit byte 0xFF at position 5`},
		{name: "too short", in: "0360002914", wantErr: ErrLength,
			wantMsg: `gs1: GTIN "0360002914": wrong length 10 (want 8, 12, 13 or 14)`},
		{name: "bad check", in: "036000291453", wantErr: ErrCheckDigit, wantPos: 12,
			wantMsg: `gs1: GTIN "036000291453": bad check digit: got 3 want 2`},
		{name: "long input is shortened", in: strings.Repeat("1", 100), wantErr: ErrLength,
			wantMsg: `gs1: GTIN "` + strings.Repeat("1", 64) + `"… (100 bytes): wrong length 100 (want 8, 12, 13 or 14)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NormalizeGTIN(tt.in)
			var ge *GTINError
			if !errors.As(err, &ge) {
				t.Fatalf("NormalizeGTIN(%q) error = %v (%T), want *GTINError", tt.in, err, err)
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v does not wrap %v", err, tt.wantErr)
			}
			if ge.Pos != tt.wantPos {
				t.Errorf("Pos = %d, want %d", ge.Pos, tt.wantPos)
			}
			if err.Error() != tt.wantMsg {
				t.Errorf("message\n got %s\nwant %s", err.Error(), tt.wantMsg)
			}
		})
	}
}

// Changing any single digit of a valid GTIN must be caught by the check
// digit: the 3-1 weights make every single-digit error visible.
func TestNormalizeGTIN_SingleDigitErrors(t *testing.T) {
	for _, valid := range []string{"4006381333931", "036000291452", "96385074", "09506000134352"} {
		for i := range len(valid) {
			for d := byte('0'); d <= '9'; d++ {
				if d == valid[i] {
					continue
				}
				b := []byte(valid)
				b[i] = d
				if _, err := NormalizeGTIN(string(b)); !errors.Is(err, ErrCheckDigit) {
					t.Errorf("NormalizeGTIN(%q) error = %v, want bad check digit", b, err)
				}
			}
		}
	}
}

func TestExpandUPCE(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr error
	}{
		{name: "d6 1", in: "04252614", want: "042100005264"},
		{name: "d6 0", in: "01234505", want: "012000003455"},
		{name: "d6 2", in: "01234523", want: "012200003453"},
		{name: "d6 3", in: "01234531", want: "012300000451"},
		{name: "d6 4", in: "01234543", want: "012340000053"},
		{name: "d6 5", in: "01234558", want: "012345000058"},
		{name: "d6 9", in: "01234596", want: "012345000096"},
		{name: "number system 1", in: "11234562", want: "112345000062"},
		{name: "bad check", in: "04252615", wantErr: ErrCheckDigit},
		{name: "number system 2", in: "24252614", wantErr: ErrNumberSystem},
		{name: "too short", in: "0425261", wantErr: ErrLength},
		{name: "letter", in: "0425261X", wantErr: ErrNotDigit},
		{name: "empty", in: "", wantErr: ErrEmpty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ExpandUPCE(tt.in)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || got != "" {
					t.Fatalf("ExpandUPCE(%q) = %q, %v; want error %v", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ExpandUPCE(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			if !ValidGTIN(got) {
				t.Fatalf("expansion %q is not a valid UPC-A", got)
			}
		})
	}
}

func FuzzNormalizeGTIN(f *testing.F) {
	for _, v := range readGTINVectors(f) {
		f.Add(v.input)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizeGTIN(s)
		if err != nil {
			var ge *GTINError
			if !errors.As(err, &ge) || got != "" {
				t.Fatalf("NormalizeGTIN(%q) = %q, %v (%T)", s, got, err, err)
			}
			if ValidGTIN(s) {
				t.Fatalf("ValidGTIN(%q) = true but NormalizeGTIN refused it: %v", s, err)
			}
			return
		}
		if len(got) != 14 || !strings.HasSuffix(got, s) || strings.Trim(got[:14-len(s)], "0") != "" {
			t.Fatalf("NormalizeGTIN(%q) = %q: not the zero-padded input", s, got)
		}
		again, err := NormalizeGTIN(got)
		if err != nil || again != got {
			t.Fatalf("NormalizeGTIN not idempotent: %q -> %q -> %q, %v", s, got, again, err)
		}
	})
}

func FuzzExpandUPCE(f *testing.F) {
	for _, v := range readGTINVectors(f) {
		f.Add(v.input)
	}
	for _, s := range []string{"04252614", "01234558", "11234562", "24252614", "0425261X"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ExpandUPCE(s)
		if err != nil {
			var ge *GTINError
			if !errors.As(err, &ge) || got != "" {
				t.Fatalf("ExpandUPCE(%q) = %q, %v (%T)", s, got, err, err)
			}
			return
		}
		if !ValidGTIN(got) || len(got) != 12 || got[0] != s[0] || got[11] != s[7] {
			t.Fatalf("ExpandUPCE(%q) = %q: not a matching UPC-A", s, got)
		}
	})
}

func TestValidSSCC(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr error
	}{
		{name: "General Specifications example", in: "106141411234567897"},
		{name: "logistic label example", in: "376104250021234569"},
		{name: "bad check", in: "106141411234567898", wantErr: ErrCheckDigit},
		{name: "GTIN length", in: "09506000134352", wantErr: ErrLength},
		{name: "letter", in: "10614141123456789X", wantErr: ErrNotDigit},
		{name: "empty", in: "", wantErr: ErrEmpty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidSSCC(tt.in)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("ValidSSCC(%q) = %v, want %v", tt.in, err, tt.wantErr)
			}
			var ge *GTINError
			if err != nil && (!errors.As(err, &ge) || ge.Number != "SSCC") {
				t.Fatalf("error %v is not an SSCC *GTINError", err)
			}
		})
	}
}

func TestClassifyGTIN(t *testing.T) {
	tests := []struct {
		name string
		gtin string
		want GTINClass
	}{
		{name: "EAN-13 product", gtin: "4006381333931", want: GTINProduct},
		{name: "UPC-A product", gtin: "036000291452", want: GTINProduct},
		{name: "GTIN-14 case", gtin: "10614141000415", want: GTINProduct},
		{name: "EAN-8 product", gtin: "96385074", want: GTINProduct},
		{name: "variable measure EAN-13", gtin: "2112345012346", want: GTINRestricted},
		{name: "UPC-A number system 2", gtin: "212345928752", want: GTINRestricted},
		{name: "RCN-8", gtin: "20000004", want: GTINRestricted},
		{name: "company internal", gtin: "0412345000001", want: GTINInternal},
		{name: "coupon", gtin: "9912345000007", want: GTINCoupon},
		{name: "ISBN", gtin: "9780306406157", want: GTINBook},
		{name: "invalid", gtin: "4006381333932", want: GTINInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ClassifyGTIN(tt.gtin); got != tt.want {
				t.Errorf("ClassifyGTIN(%q) = %v, want %v", tt.gtin, got, tt.want)
			}
		})
	}
}

func FuzzValidSSCC(f *testing.F) {
	for _, v := range readGTINVectors(f) {
		f.Add(v.input)
	}
	for _, s := range []string{"106141411234567897", "376104250021234569", "106141411234567898"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := ValidSSCC(s)
		if err == nil {
			if len(s) != 18 || firstNonDigit(s) >= 0 || checkDigit(s[:17]) != s[17] {
				t.Fatalf("ValidSSCC(%q) accepted a bad SSCC", s)
			}
			return
		}
		var ge *GTINError
		if !errors.As(err, &ge) {
			t.Fatalf("ValidSSCC(%q) error %v is %T", s, err, err)
		}
	})
}
