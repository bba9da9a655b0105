package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/internal/testenv"
	"github.com/pickwave/pickwave/server"
	"github.com/pickwave/pickwave/store"
)

type parseResult struct {
	Kind      string `json:"kind"`
	Symbology string `json:"symbology"`
	AIM       string `json:"aim"`
	Form      string `json:"form"`
	GTIN      string `json:"gtin"`
	HRI       string `json:"hri"`
	Elements  []struct {
		AI, Title, Raw string
		Value          any
	} `json:"elements"`
}

// parseResults is the response with every reading.
type parseResults struct {
	parseResult
	Readings []parseResult `json:"readings"`
	Refused  []struct {
		Kind, Reason string
		Position     int
	} `json:"refused"`
}

// Scans without a symbology identifier list every valid reading, the most
// likely first, with the top level describing the first.
func TestParseBarcode_readings(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, data string
		readings   []string // kind and HRI of each reading
		refused    []string // kinds refused
	}{
		{"SSCC that is also a lot", "106141411234567897",
			[]string{"SSCC (00)106141411234567897", "element string (10)6141411234567897"}, nil},
		{"use-by without parentheses", "17261130", []string{"element string (17)261130"}, []string{"GTIN", "UPC-E"}},
		{"UPC-E", "06543217", []string{"UPC-E (01)00065100004327"}, nil},
		{"EAN-13 with scanner whitespace", " 4006381333931\r\n",
			[]string{"GTIN (01)04006381333931", "element string (400)6381333931"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.json("POST", "/api/v1/barcodes/parse", e.pick, map[string]string{"data": tt.data})
			mustStatus(t, r, 200)
			var res parseResults
			r.decode(t, &res)
			var got, refused []string
			for _, rd := range res.Readings {
				got = append(got, rd.Kind+" "+rd.HRI)
			}
			for _, f := range res.Refused {
				refused = append(refused, f.Kind)
				if f.Reason == "" || f.Position == 0 {
					t.Errorf("refused reading without reason or position: %s", r.body)
				}
			}
			if !slices.Equal(got, tt.readings) || !slices.Equal(refused, tt.refused) {
				t.Fatalf("readings %q refused %q, want %q and %q: %s", got, refused, tt.readings, tt.refused, r.body)
			}
			first := res.Readings[0]
			if res.Kind != first.Kind || res.HRI != first.HRI || res.GTIN != first.GTIN || res.Form != first.Form || len(res.Elements) != len(first.Elements) {
				t.Fatalf("top level does not describe the first reading: %s", r.body)
			}
		})
	}
	// The lot reading of the SSCC's digits carries its lot.
	r := e.json("POST", "/api/v1/barcodes/parse", e.pick, map[string]string{"data": "106141411234567897"})
	var res parseResults
	r.decode(t, &res)
	if res.GTIN != "" || res.Form != "SSCC" || res.Readings[1].Elements[0].AI != "10" || res.Readings[1].Elements[0].Value != "6141411234567897" {
		t.Fatalf("SSCC readings %s", r.body)
	}
}

// The GS1 General Specifications' own worked examples.
func TestParseBarcode_gs1Examples(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, data, hri, gtin string
		values                map[string]any
	}{
		{"GTIN-14", "09506000134352", "(01)09506000134352", "09506000134352", nil},
		{"UPC-A", "036000291452", "(01)00036000291452", "00036000291452", nil},
		{"bracketed with expiry and lot", "(01)09506000134352(17)261231(10)ABC123", "(01)09506000134352(17)261231(10)ABC123", "09506000134352",
			map[string]any{"17": "2026-12-31", "10": "ABC123"}},
		{"GS1-128 raw, lot that looks like AIs", "]C10109506000134352172612311017261231\x1d21XYZ", "(01)09506000134352(17)261231(10)17261231(21)XYZ", "09506000134352",
			map[string]any{"10": "17261231", "21": "XYZ"}},
		{"day 00 is the month's last day", "(01)09506000134352(17)280200", "(01)09506000134352(17)280200", "09506000134352", map[string]any{"17": "2028-02-29"}},
		{"net weight with 3 decimals", "(01)95012345678903(3103)000123", "(01)95012345678903(3103)000123", "95012345678903", map[string]any{"3103": "0.123"}},
		{"SSCC", "(00)106141411234567897", "(00)106141411234567897", "", nil},
		{"Digital Link", "https://id.gs1.org/01/09506000134352/10/ABC123", "(01)09506000134352(10)ABC123", "09506000134352", map[string]any{"10": "ABC123"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.json("POST", "/api/v1/barcodes/parse", e.pick, map[string]string{"data": tt.data})
			mustStatus(t, r, 200)
			var res parseResult
			r.decode(t, &res)
			if res.HRI != tt.hri || res.GTIN != tt.gtin {
				t.Fatalf("parsed %s", r.body)
			}
			for ai, want := range tt.values {
				found := false
				for _, el := range res.Elements {
					if el.AI == ai {
						found = true
						if el.Value != want || el.Title == "" {
							t.Errorf("AI %s = %v (%q), want %v", ai, el.Value, el.Title, want)
						}
					}
				}
				if !found {
					t.Errorf("AI %s missing: %s", ai, r.body)
				}
			}
		})
	}
}

func TestParseBarcode_errorsSayWhere(t *testing.T) {
	e := newEnv(t)
	tests := []struct{ name, data, reason string }{
		{"bad check digit", "(01)09506000134353", "check digit"},
		{"unknown AI", "(89)ABC", "unknown ai"},
		{"too long", strings.Repeat("1", 5000), ""},
		{"empty", "", "required"},
		{"bad date", "(01)09506000134352(17)261332", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.json("POST", "/api/v1/barcodes/parse", e.pick, map[string]string{"data": tt.data})
			mustStatus(t, r, 400)
			if !strings.Contains(strings.ToLower(string(r.body)), tt.reason) {
				t.Fatalf("error %s does not say %q", r.body, tt.reason)
			}
		})
	}
}

// Hostile input gets a 400, never a 500 or a hang.
func TestParseBarcode_hostileInput(t *testing.T) {
	e := newEnv(t)
	rng := rand.New(rand.NewPCG(1, 2))
	inputs := []string{strings.Repeat("(", 1<<20), strings.Repeat("\x1d", 4096), "\x00\x01\x02", "]C1\x1d\x1d\x1d", "(01)" + strings.Repeat("9", 100000)}
	for range 200 {
		b := make([]byte, rng.IntN(200))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		inputs = append(inputs, string(b))
	}
	for _, in := range inputs {
		body, _ := json.Marshal(map[string]string{"data": in})
		start := time.Now()
		r := e.do("POST", "/api/v1/barcodes/parse", e.pick, "application/json", bytes.NewReader(body))
		if r.status != 200 && r.status != 400 {
			t.Fatalf("input %q: status %d %s", in[:min(len(in), 40)], r.status, r.body)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("input %q took %v", in[:min(len(in), 40)], d)
		}
	}
	// A body of 1 MB of garbage that is not even JSON.
	r := e.do("POST", "/api/v1/barcodes/parse", e.pick, "application/json", bytes.NewReader(bytes.Repeat([]byte{0xff}, 1<<20)))
	mustStatus(t, r, 400)
}

func FuzzParseBarcodeEndpoint(f *testing.F) {
	for _, s := range []string{"(01)09506000134352(17)261231(10)ABC123", "]C1010950600013435210AB\x1d21X", "https://id.gs1.org/01/09506000134352", "", "\xff"} {
		f.Add(s)
	}
	db := testenv.OpenStore(f, f.TempDir(), store.Options{NoSync: true})
	defer db.Close()
	token, err := db.MintToken(context.Background(), "fuzz", pickwave.RolePicker, time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	h := (&server.Server{Users: db, Logger: slog.New(slog.DiscardHandler)}).Handler()
	f.Fuzz(func(t *testing.T, data string) {
		body, _ := json.Marshal(map[string]string{"data": data})
		req := httptest.NewRequest("POST", "/api/v1/barcodes/parse", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest {
			t.Fatalf("status %d for %q: %s", rec.Code, data, rec.Body)
		}
	})
}
