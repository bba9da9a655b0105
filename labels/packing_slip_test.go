package labels_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/labels"
)

func TestPackingSlip_WriteHTML(t *testing.T) {
	slip := labels.PackingSlip{OrderID: "O-0000000042", ExternalID: "SHOP-7",
		To:    pickwave.Address{Name: `<script>alert("x")</script>`, Address1: "1 Main St", City: "Springfield", Country: "US"},
		Lines: []labels.SlipLine{{SKU: "SKU-1", Name: `Mug & "saucer"`, Ordered: 2, Packed: 1}},
		Date:  time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC), Note: "Items not in this shipment could not be sent."}
	var buf bytes.Buffer
	if err := slip.WriteHTML(&buf); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{"O-0000000042", "SHOP-7", "2026-12-02", "SKU-1", "Mug &amp; &#34;saucer&#34;",
		"&lt;script&gt;", `src="data:image/png;base64,`, "could not be sent"} {
		if !strings.Contains(page, want) {
			t.Errorf("slip lacks %q", want)
		}
	}
	if strings.Contains(page, "<script>") {
		t.Fatal("hostile text reached the page as markup")
	}
	if err := (labels.PackingSlip{OrderID: "O-\u00e9"}).WriteHTML(&buf); err == nil {
		t.Fatal("an order id Code 128 cannot hold was drawn")
	}
}
