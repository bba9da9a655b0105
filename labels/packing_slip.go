package labels

import (
	"bytes"
	"encoding/base64"
	"html/template"
	"image"
	"image/png"
	"io"
	"time"

	"github.com/boombuler/barcode/code128"

	"github.com/pickwave/pickwave"
)

// PackingSlip is the sheet that goes in the parcel: the order's items
// with their quantities, who it goes to, and the order's barcode, which
// the pack station scans to bring the order up again. It is an HTML page
// styled for printing on A4 or Letter: every browser prints it, and no
// PDF library is needed.
type PackingSlip struct {
	OrderID    string
	ExternalID string
	From, To   pickwave.Address
	Lines      []SlipLine
	// Date is printed as YYYY-MM-DD; the zero time leaves it off.
	Date time.Time
	Note string
}

// SlipLine is one line of a packing slip: what was ordered and what is
// packed so far.
type SlipLine struct {
	SKU     string
	Name    string
	Ordered int
	Packed  int
}

// WriteHTML writes the slip as a printable HTML page. All text is
// escaped by html/template; the barcode is a PNG in a data URI, so the
// page needs nothing else from the server.
func (p PackingSlip) WriteHTML(w io.Writer) error {
	code, err := barcodePNG(p.OrderID)
	if err != nil {
		return err
	}
	return slipTemplate.Execute(w, struct {
		PackingSlip
		Barcode template.URL
		Day     string
	}{p, template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(code)), p.Date.Format("2006-01-02")})
}

// barcodePNG draws data as Code 128, 3 pixels a module and 60 high.
func barcodePNG(data string) ([]byte, error) {
	bc, err := code128.Encode(data)
	if err != nil {
		return nil, err
	}
	const module, height, quiet = 3, 60, 10
	n := bc.Bounds().Dx()
	img := image.NewGray(image.Rect(0, 0, (n+2*quiet)*module, height))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for m := 0; m < n; m++ {
		if r, _, _, _ := bc.At(m, 0).RGBA(); r == 0 {
			fill(img, image.Rect((quiet+m)*module, 0, (quiet+m+1)*module, height))
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

var slipTemplate = template.Must(template.New("slip").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Packing slip {{.OrderID}}</title>
<style>
body { font: 11pt/1.4 system-ui, sans-serif; margin: 2em; color: #000; }
h1 { font-size: 16pt; margin: 0 0 .5em; }
.head { display: flex; justify-content: space-between; align-items: flex-start; gap: 2em; }
.addr { white-space: pre-line; }
table { width: 100%; border-collapse: collapse; margin-top: 1.5em; }
th, td { border-bottom: 1px solid #999; padding: .3em .5em; text-align: left; }
td.num, th.num { text-align: right; }
.code { text-align: center; font-family: monospace; }
@media print { body { margin: 0; } }
</style>
</head>
<body>
<div class="head">
  <div>
    <h1>Packing slip</h1>
    <div>Order <strong>{{.OrderID}}</strong>{{if .ExternalID}} · your reference {{.ExternalID}}{{end}}</div>
    {{if not .Date.IsZero}}<div>{{.Day}}</div>{{end}}
  </div>
  <div class="code"><img src="{{.Barcode}}" alt="{{.OrderID}}"><div>{{.OrderID}}</div></div>
</div>
<div class="head">
  <div><strong>From</strong><div class="addr">{{with .From}}{{.Name}}
{{.Address1}}{{if .Address2}}
{{.Address2}}{{end}}
{{.PostalCode}} {{.City}}{{if .Region}}, {{.Region}}{{end}}
{{.Country}}{{end}}</div></div>
  <div><strong>Ship to</strong><div class="addr">{{with .To}}{{.Name}}
{{.Address1}}{{if .Address2}}
{{.Address2}}{{end}}
{{.PostalCode}} {{.City}}{{if .Region}}, {{.Region}}{{end}}
{{.Country}}{{end}}</div></div>
</div>
<table>
<thead><tr><th>SKU</th><th>Item</th><th class="num">Ordered</th><th class="num">In this shipment</th></tr></thead>
<tbody>
{{range .Lines}}<tr><td>{{.SKU}}</td><td>{{.Name}}</td><td class="num">{{.Ordered}}</td><td class="num">{{.Packed}}</td></tr>
{{end}}</tbody>
</table>
{{if .Note}}<p>{{.Note}}</p>{{end}}
</body>
</html>
`))
