package wave

import (
	"fmt"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/gs1"
)

// Pick rules: judging one handheld scan against the task in hand. The
// store resolves what the scan names (a location, a SKU by any of its
// barcodes, a tote) and what it knows of lots and serials; Judge is a pure
// function of that, so every rule is table-tested and fuzzed.

// ScanFacts is a scan as the store resolved it.
type ScanFacts struct {
	// Raw is what the scanner sent.
	Raw string
	// Data is the GS1 data of the reading that counts: of all the ways the
	// scan reads (Readings), the one naming the task's product, else one
	// naming a known product, else the most likely that is not a guess.
	// Zero when the scan is no GS1 data, or names a product by an internal
	// barcode.
	Data gs1.Data
	// Readings lists every valid reading of the scan, the most likely
	// first (gs1.Parser.Readings).
	Readings []gs1.Reading
	// ParseErr is set when the scan looked like GS1 data (digits, an AIM
	// GS1 identifier, a Digital Link) but names nothing known and its most
	// likely reading is broken, e.g. a GTIN with a bad check digit.
	ParseErr error
	// Location is the code of the location whose label this is, or "".
	Location string
	// SKU, SKUName and PackQty identify the product a barcode belongs to
	// and how many units one scan of it counts; SKU is "" when unknown.
	SKU     string
	SKUName string
	PackQty int
	// LotHere reports whether the scanned lot (Data's AI 10) has stock at
	// the task's location; meaningful only when the scan carries a lot.
	LotHere bool
	// SerialSeen reports that the scanned serial (AI 21) of this GTIN was
	// already picked.
	SerialSeen bool
	// Count is a quantity the picker keyed in for this scan (that many of
	// the scanned pack); 0 means one scan, one pack. A serialised unit
	// cannot be counted: each serial must be scanned.
	Count int
}

// Rules are a site's pick rules.
type Rules struct {
	// MinShelfLife is how long a picked unit must still be good for; an
	// expiry sooner than now+MinShelfLife is short-dated. Zero checks only
	// that it has not expired.
	MinShelfLife time.Duration
}

// Judgement is the outcome of a scan: the verdict and, for an accepted
// item scan, how many units it counts.
type Judgement struct {
	Verdict pickwave.Verdict
	Qty     int
}

// Judge checks a scan against a task that expects step, and against the
// tote bound to the task's slot (tote, "" when none is bound yet). It
// never changes the task; the caller applies an accepted judgement.
func Judge(task *pickwave.Task, step pickwave.Step, tote string, f ScanFacts, r Rules, now time.Time) Judgement {
	switch step {
	case pickwave.StepLocation:
		return judgeLocation(task, f)
	case pickwave.StepItem:
		return judgeItem(task, f, r, now)
	case pickwave.StepTote:
		return judgeTote(task, tote, f)
	}
	return reject(pickwave.VerdictNoTask, step, "", "Nothing to scan now.")
}

func reject(code string, next pickwave.Step, expected, format string, args ...any) Judgement {
	return Judgement{Verdict: pickwave.Verdict{Code: code, Message: fmt.Sprintf(format, args...), Expected: expected, Next: next}}
}

func judgeLocation(task *pickwave.Task, f ScanFacts) Judgement {
	switch {
	case f.Location == task.Location:
		return Judgement{Verdict: pickwave.Verdict{Code: pickwave.VerdictOK, Message: "Location " + task.Location + ": pick " + units(task.Remaining()) + ".", Next: pickwave.StepItem}}
	case f.Location != "":
		return reject(pickwave.VerdictWrongLocation, pickwave.StepLocation, task.Location,
			"This is %s. Go to %s.", f.Location, task.Location)
	case f.SKU != "" || f.ParseErr != nil:
		return reject(pickwave.VerdictWrongLocation, pickwave.StepLocation, task.Location,
			"Scan the location label of %s first.", task.Location)
	}
	return reject(pickwave.VerdictWrongLocation, pickwave.StepLocation, task.Location,
		"%q is not a location label. Scan the label of %s.", short(f.Raw), task.Location)
}

func judgeItem(task *pickwave.Task, f ScanFacts, r Rules, now time.Time) Judgement {
	const step = pickwave.StepItem
	if f.ParseErr != nil {
		return reject(pickwave.VerdictBadBarcode, step, task.SKU, "The barcode could not be read: %v. Scan it again or key it in.", f.ParseErr)
	}
	if f.SKU == "" {
		if f.Location != "" {
			return reject(pickwave.VerdictWrongItem, step, task.SKU, "That is a location label. Scan the item %s.", task.SKU)
		}
		return reject(pickwave.VerdictUnknownBarcode, step, task.SKU, "Barcode %q belongs to no item. Scan the item %s.", short(f.Raw), task.SKU)
	}
	if f.SKU != task.SKU {
		return reject(pickwave.VerdictWrongItem, step, task.SKU, "Wrong item: this is %s (%s). Pick %s.", f.SKU, f.SKUName, task.SKU)
	}
	if lot := f.Data.Lot(); lot != "" && task.Lot != "" && lot != task.Lot {
		if !f.LotHere {
			return reject(pickwave.VerdictLotNotHere, step, task.Lot, "Lot %s is not stocked at %s. Pick lot %s.", lot, task.Location, task.Lot)
		}
		return reject(pickwave.VerdictLotNotHere, step, task.Lot, "Lot %s is not the lot reserved here. Pick lot %s.", lot, task.Lot)
	}
	expiry, ok := f.Data.Expiry()
	if !ok && task.Expiry != nil {
		expiry, ok = *task.Expiry, true
	}
	if ok {
		// GS1 dates are days: a unit is good through its expiry date.
		end := time.Date(expiry.Year(), expiry.Month(), expiry.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
		switch {
		case !now.Before(end):
			return reject(pickwave.VerdictExpired, step, "", "Expired on %s. Do not pick it; report it.", expiry.Format("2006-01-02"))
		case r.MinShelfLife > 0 && end.Before(now.Add(r.MinShelfLife)):
			return reject(pickwave.VerdictShortDated, step, "", "Expires %s, too soon to ship. Pick a later date.", expiry.Format("2006-01-02"))
		}
	}
	if f.SerialSeen {
		return reject(pickwave.VerdictDuplicateSerial, step, "", "Serial %s was already picked. Scan another unit.", f.Data.Serial())
	}
	qty := max(f.PackQty, 1)
	if f.Count > 1 {
		if f.Data.Serial() != "" {
			return reject(pickwave.VerdictOverPick, step, "", "Serialised units are scanned one by one; do not key in a quantity.")
		}
		qty *= f.Count
	}
	if rest := task.Remaining(); qty > rest {
		what := "This scan counts " + units(qty)
		return reject(pickwave.VerdictOverPick, step, "", "%s; only %s still to pick.", what, units(rest))
	}
	next := pickwave.StepItem
	msg := fmt.Sprintf("%s: %d of %d.", task.SKU, task.Picked+qty, task.Qty)
	if task.Picked+task.Short+qty == task.Qty {
		next = pickwave.StepTote
		msg += fmt.Sprintf(" Put it in slot %d and scan the tote.", task.ToteSlot)
	}
	return Judgement{Verdict: pickwave.Verdict{Code: pickwave.VerdictOK, Message: msg, Qty: qty, Next: next}, Qty: qty}
}

func judgeTote(task *pickwave.Task, tote string, f ScanFacts) Judgement {
	const step = pickwave.StepTote
	switch {
	case tote != "" && f.Raw == tote:
		return Judgement{Verdict: pickwave.Verdict{Code: pickwave.VerdictOK, Message: "In tote " + tote + "."}}
	case tote == "":
		return reject(pickwave.VerdictWrongTote, step, fmt.Sprintf("slot %d", task.ToteSlot), "No tote is in slot %d yet.", task.ToteSlot)
	case f.SKU != "" || f.Location != "":
		return reject(pickwave.VerdictWrongTote, step, tote, "Scan the tote in slot %d (%s), not the item or shelf.", task.ToteSlot, tote)
	}
	return reject(pickwave.VerdictWrongTote, step, tote, "Wrong tote: put it in slot %d, tote %s.", task.ToteSlot, tote)
}

func units(n int) string {
	if n == 1 {
		return "1 unit"
	}
	return fmt.Sprintf("%d units", n)
}

// short keeps a hostile or garbled scan from flooding a message.
func short(s string) string {
	const max = 40
	r := []rune(s)
	if len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}
