package wave_test

import (
	"errors"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/gs1"
	"github.com/pickwave/pickwave/wave"
)

func mustGS1(t testing.TB, s string) gs1.Data {
	t.Helper()
	d, err := gs1.Parse(s)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return d
}

func TestJudge_everyVerdict(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	exp := time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)
	task := &pickwave.Task{SKU: "TEA", Location: "A01-02-1", Lot: "L1", Expiry: &exp, Qty: 3, Picked: 1, ToteSlot: 2}
	tea := wave.ScanFacts{SKU: "TEA", SKUName: "Green tea", PackQty: 1}
	withData := func(f wave.ScanFacts, s string) wave.ScanFacts { f.Data = mustGS1(t, s); f.Raw = s; return f }
	rules := wave.Rules{MinShelfLife: 30 * 24 * time.Hour}
	yesterday := now.AddDate(0, 0, -1)
	tests := []struct {
		name  string
		step  pickwave.Step
		tote  string
		facts wave.ScanFacts
		task  *pickwave.Task
		code  string
		next  pickwave.Step
		qty   int
	}{
		{name: "right location", step: pickwave.StepLocation, facts: wave.ScanFacts{Location: "A01-02-1"}, code: "ok", next: pickwave.StepItem},
		{name: "other location", step: pickwave.StepLocation, facts: wave.ScanFacts{Location: "A01-03-1"}, code: "wrong_location", next: pickwave.StepLocation},
		{name: "item before location", step: pickwave.StepLocation, facts: tea, code: "wrong_location"},
		{name: "junk at location", step: pickwave.StepLocation, facts: wave.ScanFacts{Raw: "???"}, code: "wrong_location"},
		{name: "right item", step: pickwave.StepItem, facts: tea, code: "ok", next: pickwave.StepItem, qty: 1},
		{name: "last unit asks for tote", step: pickwave.StepItem, facts: wave.ScanFacts{SKU: "TEA", PackQty: 2}, code: "ok", next: pickwave.StepTote, qty: 2},
		{name: "case over-picks", step: pickwave.StepItem, facts: wave.ScanFacts{SKU: "TEA", PackQty: 12}, code: "over_pick"},
		{name: "keyed quantity", step: pickwave.StepItem, facts: wave.ScanFacts{SKU: "TEA", PackQty: 1, Count: 2}, code: "ok", next: pickwave.StepTote, qty: 2},
		{name: "keyed quantity too many", step: pickwave.StepItem, facts: wave.ScanFacts{SKU: "TEA", PackQty: 1, Count: 5}, code: "over_pick"},
		{name: "unknown barcode", step: pickwave.StepItem, facts: wave.ScanFacts{Raw: "96385074"}, code: "unknown_barcode"},
		{name: "bad barcode", step: pickwave.StepItem, facts: wave.ScanFacts{Raw: "96385075", ParseErr: errors.New("bad check digit")}, code: "bad_barcode"},
		{name: "wrong item", step: pickwave.StepItem, facts: wave.ScanFacts{SKU: "MUG", SKUName: "Mug", PackQty: 1}, code: "wrong_item"},
		{name: "location label as item", step: pickwave.StepItem, facts: wave.ScanFacts{Location: "A01-02-1"}, code: "wrong_item"},
		{name: "right lot", step: pickwave.StepItem, facts: withData(tea, "(01)09506000134352(17)270630(10)L1"), code: "ok", qty: 1},
		{name: "lot not here", step: pickwave.StepItem, facts: withData(tea, "(01)09506000134352(10)L9"), code: "lot_not_here"},
		{name: "other lot here", step: pickwave.StepItem, facts: func() wave.ScanFacts { f := withData(tea, "(01)09506000134352(10)L2"); f.LotHere = true; return f }(), code: "lot_not_here"},
		{name: "expired", step: pickwave.StepItem, facts: withData(tea, "(01)09506000134352(17)261125(10)L1"), code: "expired"},
		{name: "good through expiry day", step: pickwave.StepItem, facts: withData(tea, "(01)09506000134352(17)261226(10)L1"), code: "ok", qty: 1},
		{name: "short-dated", step: pickwave.StepItem, facts: withData(tea, "(01)09506000134352(17)261210(10)L1"), code: "short_dated"},
		{name: "task expiry used without AI 17", step: pickwave.StepItem, facts: tea,
			task: &pickwave.Task{SKU: "TEA", Location: "A01-02-1", Expiry: &yesterday, Qty: 1}, code: "expired"},
		{name: "duplicate serial", step: pickwave.StepItem, facts: func() wave.ScanFacts { f := withData(tea, "(01)09506000134352(21)SN1"); f.SerialSeen = true; return f }(), code: "duplicate_serial"},
		{name: "serial with keyed count", step: pickwave.StepItem, facts: func() wave.ScanFacts { f := withData(tea, "(01)09506000134352(21)SN2"); f.Count = 2; return f }(), code: "over_pick"},
		{name: "right tote", step: pickwave.StepTote, tote: "T100", facts: wave.ScanFacts{Raw: "T100"}, code: "ok"},
		{name: "wrong tote", step: pickwave.StepTote, tote: "T100", facts: wave.ScanFacts{Raw: "T101"}, code: "wrong_tote"},
		{name: "item at tote step", step: pickwave.StepTote, tote: "T100", facts: tea, code: "wrong_tote"},
		{name: "no tote bound", step: pickwave.StepTote, facts: wave.ScanFacts{Raw: "T100"}, code: "wrong_tote"},
		{name: "no step", step: "", facts: tea, code: "no_task"},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := task
			if tt.task != nil {
				tk = tt.task
			}
			before := *tk
			j := wave.Judge(tk, tt.step, tt.tote, tt.facts, rules, now)
			if j.Verdict.Code != tt.code {
				t.Fatalf("verdict %+v, want %s", j.Verdict, tt.code)
			}
			if j.Verdict.Message == "" {
				t.Fatal("verdict without a message")
			}
			if tt.next != "" && j.Verdict.Next != tt.next {
				t.Fatalf("next %q, want %q", j.Verdict.Next, tt.next)
			}
			if j.Qty != tt.qty {
				t.Fatalf("qty %d, want %d", j.Qty, tt.qty)
			}
			if *tk != before {
				t.Fatal("Judge changed the task")
			}
			seen[j.Verdict.Code] = true
		})
	}
	for _, code := range pickwave.VerdictCodes {
		if !seen[code] {
			t.Errorf("no case yields verdict %s", code)
		}
	}
}

func FuzzJudge(f *testing.F) {
	f.Add("A01-02-1", "TEA", 1, 0, "(01)09506000134352(10)L1", 0)
	f.Add("", "MUG", 12, 3, "junk", 2)
	f.Fuzz(func(t *testing.T, loc, sku string, pack, count int, raw string, stepN int) {
		steps := []pickwave.Step{pickwave.StepLocation, pickwave.StepItem, pickwave.StepTote}
		step := steps[((stepN%3)+3)%3]
		d, _ := gs1.Parse(raw)
		task := &pickwave.Task{SKU: "TEA", Location: "A01-02-1", Qty: 5, Picked: 2, ToteSlot: 1}
		j := wave.Judge(task, step, "T1", wave.ScanFacts{Raw: raw, Data: d, Location: loc, SKU: sku, PackQty: pack % 100, Count: count % 1000}, wave.Rules{}, time.Now())
		if j.Verdict.Code == "" || j.Verdict.Message == "" {
			t.Fatalf("empty verdict %+v", j)
		}
		if j.Verdict.OK() && step == pickwave.StepItem && (j.Qty < 1 || j.Qty > task.Remaining()) {
			t.Fatalf("accepted %d units with %d remaining", j.Qty, task.Remaining())
		}
		if !j.Verdict.OK() && j.Qty != 0 {
			t.Fatalf("rejected scan counts %d", j.Qty)
		}
	})
}
