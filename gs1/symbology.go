package gs1

// Symbology names the kind of barcode a scan came from, as told by the AIM
// symbology identifier (ISO/IEC 15424) that a scanner can put before the
// data: "]" + a code letter + a modifier.
type Symbology struct {
	// AIM is the three-character identifier, e.g. "]C1"; empty when the
	// scan carried none.
	AIM string
	// Name is the symbology's name, e.g. "GS1-128"; empty for an
	// identifier this package does not know.
	Name string
}

// symbologyKind says what a symbology carries.
type symbologyKind int

const (
	kindUnknown  symbologyKind = iota
	kindGS1                    // GS1 element strings (FNC1 in first position)
	kindEAN                    // EAN-13, UPC-A, UPC-E
	kindEAN8                   // EAN-8
	kindEANAddOn               // EAN/UPC with a 2- or 5-digit add-on
	kindITF                    // Interleaved 2 of 5: ITF-14 carries a GTIN-14
	kindOther                  // a symbology that does not carry GS1 data
)

type symbologyInfo struct {
	name string
	kind symbologyKind
}

// symbologies lists the AIM identifiers a warehouse meets. GS1 data comes
// with ]C1, ]e0, ]d2, ]Q3, ]J1 and the EAN/UPC family; a Digital Link URI
// comes in plain QR or Data Matrix (]Q1, ]d1).
var symbologies = map[string]symbologyInfo{
	"]C1": {"GS1-128", kindGS1},
	"]e0": {"GS1 DataBar", kindGS1},
	"]d2": {"GS1 DataMatrix", kindGS1},
	"]Q3": {"GS1 QR Code", kindGS1},
	"]J1": {"GS1 DotCode", kindGS1},
	"]E0": {"EAN-13, UPC-A or UPC-E", kindEAN},
	"]E4": {"EAN-8", kindEAN8},
	"]E3": {"EAN/UPC with add-on", kindEANAddOn},
	"]I0": {"Interleaved 2 of 5", kindITF},
	"]I1": {"Interleaved 2 of 5 with check digit", kindITF},
	"]C0": {"Code 128", kindOther},
	"]C2": {"Code 128 (FNC1 in second position)", kindOther},
	"]d1": {"Data Matrix", kindOther},
	"]Q1": {"QR Code", kindOther},
	"]A0": {"Code 39", kindOther},
	"]G0": {"Code 93", kindOther},
	"]L2": {"PDF417", kindOther},
	"]z0": {"Aztec Code", kindOther},
}

// lookupSymbology names an AIM identifier.
func lookupSymbology(aim string) (Symbology, symbologyKind) {
	info, ok := symbologies[aim]
	if !ok {
		return Symbology{AIM: aim}, kindUnknown
	}
	return Symbology{AIM: aim, Name: info.name}, info.kind
}
