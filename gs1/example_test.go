package gs1_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/pickwave/pickwave/gs1"
)

func ExampleNormalizeGTIN() {
	for _, s := range []string{"036000291452", "0036000291452", "036000291453"} {
		g, err := gs1.NormalizeGTIN(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(g)
	}
	// Output:
	// 00036000291452
	// 00036000291452
	// gs1: GTIN "036000291453": bad check digit: got 3 want 2
}

func ExampleCheckDigit() {
	c, _ := gs1.CheckDigit("03600029145")
	fmt.Println(string(c))
	// Output: 2
}

func ExampleExpandUPCE() {
	upca, _ := gs1.ExpandUPCE("04252614")
	fmt.Println(upca)
	// Output: 042100005264
}

func ExampleParser_Parse() {
	p := gs1.Parser{Now: time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC)}
	// A GS1-128 read: GTIN, expiry with day 00, a lot that looks like an AI,
	// and FNC1 sent as GS before the serial.
	d, err := p.Parse("]C1010950600013435217261200101726\x1d21XYZ")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Symbology.Name, d.GTIN)
	exp, _ := d.Expiry()
	fmt.Println(exp.Format("2006-01-02"), d.Lot(), d.Serial())
	for _, e := range d.Elements {
		fmt.Printf("(%s) %s = %v\n", e.AI, e.Title, e.Raw)
	}
	// Output:
	// GS1-128 09506000134352
	// 2026-12-31 1726 XYZ
	// (01) GTIN = 09506000134352
	// (17) USE BY or EXPIRY = 261200
	// (10) BATCH/LOT = 1726
	// (21) SERIAL = XYZ
}

func ExampleParse_errors() {
	_, err := gs1.Parse("(01)09506000134353(10)ABC")
	fmt.Println(err)
	var pe *gs1.ParseError
	if errors.As(err, &pe) {
		fmt.Println(pe.Pos, pe.AI, errors.Is(err, gs1.ErrCheckDigit))
	}
	// Output:
	// gs1: AI (01): bad check digit: got 3 want 2 (position 18)
	// 18 01 true
}

func ExampleParse_weight() {
	d, _ := gs1.Parse("(01)95012345678903(3103)000195")
	e, _ := d.Get("3103")
	fmt.Println(e.Title, e.Value)
	// Output: NET WEIGHT (kg) 0.195
}

func ExampleParseDigitalLink() {
	d, err := gs1.ParseDigitalLink("https://id.gs1.org/01/09521234543213/10/ABC123?17=261231")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.GTIN, d.Lot(), d.HRI())
	// Output: 09521234543213 ABC123 (01)09521234543213(10)ABC123(17)261231
}

func ExampleParseVariableMeasure() {
	// A US random-weight UPC-A: item 12345, price $28.75 with its verifier.
	vm, err := gs1.ParseVariableMeasure("212345928752", gs1.RCNUPCPrice)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(vm.Item, vm.Kind, vm.Value, vm.Unit, vm.ItemGTIN)
	// Output: 12345 price 28.75 USD 00212345000007
}

func ExampleLookupAI() {
	for _, ai := range []string{"01", "10", "422"} {
		info, _ := gs1.LookupAI(ai)
		fmt.Printf("%s %q %s fixed=%v\n", info.AI, info.Title, info.Format, info.FixedLength)
	}
	// Output:
	// 01 "GTIN" N14,csum,gcppos2 fixed=true
	// 10 "BATCH/LOT" X..20 fixed=false
	// 422 "ORIGIN" N3,iso3166 fixed=false
}
