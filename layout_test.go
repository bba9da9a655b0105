package pickwave_test

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/pickwave/pickwave"
)

func TestLayout_JSON(t *testing.T) {
	raw := `{"aisles": 10, "bays_per_aisle": 20, "bay_width_m": 1.3, "aisle_pitch_m": 3, "cross_aisles": 2, "depot": {"aisle": 1, "end": "front"}}`
	var l pickwave.Layout
	if err := json.Unmarshal([]byte(raw), &l); err != nil {
		t.Fatal(err)
	}
	want := pickwave.Layout{Aisles: 10, BaysPerAisle: 20, BayWidthM: 1.3, AislePitchM: 3, CrossAisles: 2, Depot: pickwave.Depot{Aisle: 1, End: pickwave.DepotFront}}
	if l != want {
		t.Fatalf("got %+v, want %+v", l, want)
	}
	if err := l.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestLayout_Validate(t *testing.T) {
	good := pickwave.Layout{Aisles: 10, BaysPerAisle: 20, BayWidthM: 1.3, AislePitchM: 3, Depot: pickwave.Depot{Aisle: 1}}
	for _, tc := range []struct {
		name   string
		edit   func(*pickwave.Layout)
		fields []string
	}{
		{"good", func(*pickwave.Layout) {}, nil},
		{"back depot, five cross aisles", func(l *pickwave.Layout) { l.CrossAisles = 5; l.Depot.End = pickwave.DepotBack }, nil},
		{"zero", func(l *pickwave.Layout) { *l = pickwave.Layout{} }, []string{"aisles", "bays_per_aisle", "bay_width_m", "aisle_pitch_m", "depot.aisle"}},
		{"too many aisles", func(l *pickwave.Layout) { l.Aisles = pickwave.MaxAisles + 1 }, []string{"aisles"}},
		{"NaN width", func(l *pickwave.Layout) { l.BayWidthM = math.NaN() }, []string{"bay_width_m"}},
		{"infinite pitch", func(l *pickwave.Layout) { l.AislePitchM = math.Inf(1) }, []string{"aisle_pitch_m"}},
		{"one cross aisle", func(l *pickwave.Layout) { l.CrossAisles = 1 }, []string{"cross_aisles"}},
		{"empty block", func(l *pickwave.Layout) { l.CrossAisles = 22 }, []string{"cross_aisles"}},
		{"depot outside", func(l *pickwave.Layout) { l.Depot.Aisle = 11 }, []string{"depot.aisle"}},
		{"depot side", func(l *pickwave.Layout) { l.Depot.End = "left" }, []string{"depot.end"}},
		{"drop-off named", func(l *pickwave.Layout) { l.Depot.DropOff = "Pack staging, lane 2 · PACK-1" }, nil},
		{"drop-off too long", func(l *pickwave.Layout) { l.Depot.DropOff = strings.Repeat("x", pickwave.MaxDropOffLen+1) }, []string{"depot.drop_off"}},
		{"drop-off control character", func(l *pickwave.Layout) { l.Depot.DropOff = "Lane\n2" }, []string{"depot.drop_off"}},
		{"drop-off padded", func(l *pickwave.Layout) { l.Depot.DropOff = " Lane 2" }, []string{"depot.drop_off"}},
		{"drop-off not UTF-8", func(l *pickwave.Layout) { l.Depot.DropOff = "Lane \xff" }, []string{"depot.drop_off"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := good
			tc.edit(&l)
			err := l.Validate()
			if tc.fields == nil {
				if err != nil {
					t.Fatalf("unexpected %v %v", err, pickwave.ErrorDetails(err))
				}
				return
			}
			if pickwave.ErrorCode(err) != pickwave.EINVALID {
				t.Fatalf("got %v, want EINVALID", err)
			}
			var got []string
			for _, fe := range pickwave.ErrorDetails(err).([]pickwave.FieldError) {
				got = append(got, fe.Field)
			}
			if !slices.Equal(got, tc.fields) {
				t.Fatalf("fields %v, want %v", got, tc.fields)
			}
		})
	}
}

func TestDepot_Place(t *testing.T) {
	for _, tc := range []struct {
		depot pickwave.Depot
		want  string
	}{
		{pickwave.Depot{Aisle: 1}, "Depot at the front of aisle 1"},
		{pickwave.Depot{Aisle: 4, End: pickwave.DepotBack}, "Depot at the back of aisle 4"},
		{pickwave.Depot{Aisle: 1, DropOff: "Pack staging, lane 2"}, "Pack staging, lane 2"},
	} {
		if got := tc.depot.Place(); got != tc.want {
			t.Errorf("%+v: Place() = %q, want %q", tc.depot, got, tc.want)
		}
	}
}

func TestLayout_CrossAisleBays(t *testing.T) {
	for _, tc := range []struct {
		bays, cross int
		want        []int
	}{
		{20, 0, []int{0, 20}},
		{20, 2, []int{0, 20}},
		{20, 3, []int{0, 10, 20}},
		{20, 4, []int{0, 6, 13, 20}},
		{3, 4, []int{0, 1, 2, 3}},
	} {
		l := pickwave.Layout{BaysPerAisle: tc.bays, CrossAisles: tc.cross}
		if got := l.CrossAisleBays(); !slices.Equal(got, tc.want) {
			t.Errorf("%d bays, %d cross aisles: %v, want %v", tc.bays, tc.cross, got, tc.want)
		}
	}
}
