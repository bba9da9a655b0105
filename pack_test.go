package pickwave_test

import (
	"testing"

	"github.com/pickwave/pickwave"
)

func TestChooseCarton(t *testing.T) {
	catalog := []pickwave.Carton{
		{Code: "L", LengthMM: 600, WidthMM: 400, HeightMM: 400, TareG: 600},
		{Code: "S", LengthMM: 300, WidthMM: 200, HeightMM: 150, TareG: 150},
		{Code: "TUBE", LengthMM: 700, WidthMM: 120, HeightMM: 120, TareG: 200},
		{Code: "M", LengthMM: 400, WidthMM: 300, HeightMM: 250, TareG: 300},
		{Code: "M-LIGHT", LengthMM: 400, WidthMM: 300, HeightMM: 250, TareG: 250},
	}
	for _, tc := range []struct {
		name  string
		items []pickwave.CartonItem
		want  string // "" for none
	}{
		{"one small item", []pickwave.CartonItem{{LengthMM: 100, WidthMM: 50, HeightMM: 50, Qty: 1}}, "S"},
		{"rotated to fit", []pickwave.CartonItem{{LengthMM: 140, WidthMM: 290, HeightMM: 190, Qty: 1}}, "M-LIGHT"},
		{"same volume: the lighter carton", []pickwave.CartonItem{{LengthMM: 350, WidthMM: 150, HeightMM: 100, Qty: 1}}, "M-LIGHT"},
		{"volume beyond the fill factor", []pickwave.CartonItem{{LengthMM: 100, WidthMM: 100, HeightMM: 100, Qty: 9}}, "M-LIGHT"},
		{"long thin item: the tube", []pickwave.CartonItem{{LengthMM: 620, WidthMM: 110, HeightMM: 110, Qty: 1}}, "TUBE"},
		{"too long for all", []pickwave.CartonItem{{LengthMM: 900, WidthMM: 10, HeightMM: 10, Qty: 1}}, ""},
		{"no dimensions: the smallest", []pickwave.CartonItem{{Qty: 3}}, "S"},
		{"nothing", nil, "S"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, ok := pickwave.ChooseCarton(catalog, tc.items, 0)
			if got := c.Code; ok != (tc.want != "") || got != tc.want {
				t.Fatalf("carton %q (%v), want %q", got, ok, tc.want)
			}
		})
	}
	if _, ok := pickwave.ChooseCarton(nil, nil, 0); ok {
		t.Fatal("an empty catalog suggested a carton")
	}
}

func TestWeightTolerance_Check(t *testing.T) {
	tol := pickwave.WeightTolerance{Percent: 5, Grams: 50}
	for _, tc := range []struct {
		name     string
		expected int
		measured float64
		pass     bool
	}{
		{"exact", 2000, 2000, true},
		{"per cent wins when heavy: +5 %", 2000, 2100, true},
		{"per cent wins when heavy: over", 2000, 2100.5, false},
		{"per cent wins when heavy: -5 %", 2000, 1900, true},
		{"grams win when light: +50 g", 300, 350, true},
		{"grams win when light: over", 300, 351, false},
		{"grams win when light: under", 300, 249, false},
		{"an empty carton", 300, 0, false},
		{"nothing expected", 0, 49, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tol.Check(tc.expected, tc.measured)
			if c.Pass != tc.pass || c.ExpectedG != tc.expected || c.MeasuredG != tc.measured || c.MinG > c.MaxG {
				t.Fatalf("check %+v, want pass=%v", c, tc.pass)
			}
		})
	}
	for _, bad := range []pickwave.WeightTolerance{{Percent: -1}, {Percent: 101}, {Grams: -5}} {
		if pickwave.ErrorCode(bad.Validate()) != pickwave.EINVALID {
			t.Errorf("tolerance %+v accepted", bad)
		}
	}
	if err := tol.Validate(); err != nil {
		t.Fatal(err)
	}
}
