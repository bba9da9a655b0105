package wave

import (
	"encoding/json"
	"math"
	"slices"
	"testing"

	"github.com/pickwave/pickwave"
)

func TestLayout_JSON(t *testing.T) {
	raw := `{"aisles": 10, "bays_per_aisle": 20, "bay_width_m": 1.3, "aisle_pitch_m": 3, "cross_aisles": 2, "depot": {"aisle": 1, "end": "front"}}`
	var l Layout
	if err := json.Unmarshal([]byte(raw), &l); err != nil {
		t.Fatal(err)
	}
	want := Layout{Aisles: 10, BaysPerAisle: 20, BayWidthM: 1.3, AislePitchM: 3, CrossAisles: 2, Depot: Depot{Aisle: 1, End: EndFront}}
	if l != want {
		t.Fatalf("got %+v, want %+v", l, want)
	}
	if err := l.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestLayout_Validate(t *testing.T) {
	good := Layout{Aisles: 10, BaysPerAisle: 20, BayWidthM: 1.3, AislePitchM: 3, Depot: Depot{Aisle: 1}}
	for _, tc := range []struct {
		name   string
		edit   func(*Layout)
		fields []string
	}{
		{"good", func(*Layout) {}, nil},
		{"back depot, five cross aisles", func(l *Layout) { l.CrossAisles = 5; l.Depot.End = EndBack }, nil},
		{"zero", func(l *Layout) { *l = Layout{} }, []string{"aisles", "bays_per_aisle", "bay_width_m", "aisle_pitch_m", "depot.aisle"}},
		{"too many aisles", func(l *Layout) { l.Aisles = MaxAisles + 1 }, []string{"aisles"}},
		{"NaN width", func(l *Layout) { l.BayWidthM = math.NaN() }, []string{"bay_width_m"}},
		{"infinite pitch", func(l *Layout) { l.AislePitchM = math.Inf(1) }, []string{"aisle_pitch_m"}},
		{"one cross aisle", func(l *Layout) { l.CrossAisles = 1 }, []string{"cross_aisles"}},
		{"empty block", func(l *Layout) { l.CrossAisles = 22 }, []string{"cross_aisles"}},
		{"depot outside", func(l *Layout) { l.Depot.Aisle = 11 }, []string{"depot.aisle"}},
		{"depot side", func(l *Layout) { l.Depot.End = "left" }, []string{"depot.end"}},
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

func TestLayout_Distance(t *testing.T) {
	// 5 aisles of 10 bays of 1 m, pitch 3 m; aisle length 10 m.
	l := Layout{Aisles: 5, BaysPerAisle: 10, BayWidthM: 1, AislePitchM: 3, Depot: Depot{Aisle: 1}}
	three := l
	three.CrossAisles = 3 // a middle cross aisle at y = 5 m
	for _, tc := range []struct {
		name string
		l    Layout
		a, b Position
		want float64
	}{
		{"same aisle", l, Position{2, 1}, Position{2, 8}, 7},
		{"same bay", l, Position{2, 4}, Position{2, 4}, 0},
		{"via the front", l, Position{1, 2}, Position{3, 3}, 6 + 1.5 + 2.5},
		{"via the back", l, Position{1, 9}, Position{3, 8}, 6 + 1.5 + 2.5},
		{"middle cross aisle between", three, Position{1, 2}, Position{4, 9}, 9 + 7},
		{"same block, via the middle", three, Position{1, 4}, Position{2, 5}, 3 + 1.5 + 0.5},
		{"same block, via the front", three, Position{1, 1}, Position{2, 2}, 3 + 0.5 + 1.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.l.Distance(tc.a, tc.b); math.Abs(got-tc.want) > 1e-9 {
				t.Fatalf("Distance(%v, %v) = %g, want %g", tc.a, tc.b, got, tc.want)
			}
			if got := tc.l.Distance(tc.b, tc.a); math.Abs(got-tc.want) > 1e-9 {
				t.Fatalf("Distance is not symmetric: %g", got)
			}
		})
	}
	// Depot at aisle 1 front: out to aisle 3 bay 10 and back.
	if got, want := l.Walk([]Position{{3, 10}}), 2*(6+9.5); math.Abs(got-want) > 1e-9 {
		t.Fatalf("Walk = %g, want %g", got, want)
	}
	back := l
	back.Depot = Depot{Aisle: 2, End: EndBack}
	if got, want := back.Walk([]Position{{2, 10}}), 1.0; math.Abs(got-want) > 1e-9 {
		t.Fatalf("Walk from the back = %g, want %g", got, want)
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
		l := Layout{BaysPerAisle: tc.bays, CrossAisles: tc.cross}
		if got := l.CrossAisleBays(); !slices.Equal(got, tc.want) {
			t.Errorf("%d bays, %d cross aisles: %v, want %v", tc.bays, tc.cross, got, tc.want)
		}
	}
}
