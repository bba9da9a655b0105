package web_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/demo"
	"github.com/pickwave/pickwave/handheld"
	"github.com/pickwave/pickwave/internal/browsertest"
)

// TestPages_handheldReceivesAPallet is issue 14's browser test: the
// demo's packer logs in on the handheld page at 360 px, gets the menu of
// the work a packer may do (no picking), chooses Receive and scans one
// of the demo notice's pallet labels: the whole pallet is received in
// that scan, into the dock, not allocatable. A second scan of the same
// label is refused as already received. Offline, the other pallet's
// scan is kept in the page's IndexedDB outbox (as picking's are),
// survives a reload and is received once when the connection is back.
// Then Put away shows the suggestion for the pallet.
func TestPages_handheldReceivesAPallet(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a real browser")
	}
	execPath := browsertest.Path(t)
	f := newFloor(t, []string{"packer"}, false)
	ctx := context.Background()
	pallets, err := demo.Pallets()
	if err != nil {
		t.Fatal(err)
	}
	pallet := pallets[0]
	b := browsertest.New(t, execPath)

	b.Do("phone screen", chromedp.EmulateViewport(360, 640, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	b.Do("open the handheld page and log in as the packer",
		chromedp.Navigate(f.url+"/handheld.html"),
		chromedp.WaitVisible(chromedp.CSS(`#hh-conn[data-state="online"]`)),
		chromedp.Click(chromedp.CSS("#hh-pw summary")),
		chromedp.WaitVisible(chromedp.CSS("#hh-username")),
		chromedp.SendKeys(chromedp.CSS("#hh-username"), "packer"),
		chromedp.SendKeys(chromedp.CSS("#hh-password"), demo.Password+"\n"),
		chromedp.WaitVisible(chromedp.CSS("#hh-menu")),
	)
	kinds := b.Texts("#hh-menu-list .hh-menu-title")
	if strings.Join(kinds, ",") != "Receive,Put away,Move" {
		t.Fatalf("a packer's menu %v", kinds)
	}
	b.Do("choose Receive",
		chromedp.Click(chromedp.CSS(`#hh-menu-list [data-kind="receive"]`)),
		chromedp.WaitVisible(chromedp.CSS("#hh-work")),
	)
	b.WaitFor("the receive prompt", `document.getElementById('hh-work').dataset.step === 'receive'`)
	if say := b.Text("#hh-w-say"); say == "" {
		t.Fatal("no instruction on the receive screen")
	}

	code, msg := b.WorkScan(pallet.Label)
	if code != pickwave.VerdictOK || !strings.Contains(msg, pallet.SSCC) && !strings.Contains(msg, fmt.Sprint(pallet.Qty)) {
		t.Fatalf("the pallet scan: %s %q", code, msg)
	}
	if got := b.Text("#hh-w-notice"); !strings.Contains(got, "IN-") {
		t.Errorf("the notice in hand is not shown: %q", got)
	}
	rows, err := f.db.StockOf(ctx, pallet.SKU)
	if err != nil {
		t.Fatal(err)
	}
	var dock pickwave.Stock
	for _, r := range rows {
		if r.Location == demo.Dock.Code {
			dock = *r
		}
	}
	if dock.OnHand != pallet.Qty || dock.Reserved != 0 {
		t.Fatalf("dock stock after the scan %+v, want %d", dock, pallet.Qty)
	}
	notices, _ := f.db.Inbounds(ctx, pickwave.InboundFilter{})
	if len(notices) != 1 || notices[0].Lines[0].Received != pallet.Qty {
		t.Fatalf("notice after the scan %+v", notices)
	}
	b.SaveShot("handheld-receive.png")

	// The same label again: refused, nothing received twice.
	if code, _ := b.WorkScan(pallet.Label); code != pickwave.VerdictAlreadyReceived {
		t.Fatalf("the label again: %s", code)
	}
	// The scans went through the page's durable outbox: each was kept
	// as a work_scan of kind receive before it was sent.
	saved := b.Saved()
	if len(saved.Outbox) != 0 {
		t.Fatalf("outbox not emptied: %+v", saved.Outbox)
	}
	// Out of Wi-Fi range, the second pallet's scan is kept in IndexedDB
	// as a work_scan, survives a reload, and is received once when the
	// connection is back.
	second := pallets[1]
	b.BlockSocket(f.url, true)
	token, err := f.db.MintToken(ctx, "packer", pickwave.RolePacker, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// The packer on another device takes the session over: the page's
	// socket closes and cannot open again.
	other, err := handheld.Dial(ctx, "ws"+strings.TrimPrefix(f.url, "http")+"/ws/handheld", handheld.Options{Token: token, Device: "TC52-2"})
	if err != nil {
		t.Fatal(err)
	}
	b.WaitFor("the page to see the socket gone", `document.getElementById('hh-conn').dataset.state === 'reconnecting'`)
	other.Close()
	b.Wedge(second.Label)
	b.WaitFor("the scan kept", `document.body.dataset.pending === '1'`)
	kept := b.Saved().Outbox
	if len(kept) != 1 || kept[0].Msg.Type != "work_scan" || kept[0].Msg.Data != second.Label {
		t.Fatalf("the outbox while offline: %+v", kept)
	}
	b.Do("reload offline", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#hh-work")))
	b.BlockSocket(f.url, false)
	b.WaitFor("online again and the kept scan answered", `document.getElementById('hh-conn').dataset.state === 'online' && document.body.dataset.pending === '0'`)
	notices, _ = f.db.Inbounds(ctx, pickwave.InboundFilter{})
	if l := notices[0].Lines; l[0].Received != pallet.Qty || l[1].Received != second.Qty {
		t.Fatalf("after the offline scan: %+v", l)
	}

	// Put away shows where the pallet goes.
	b.Do("menu, then Put away",
		chromedp.Click(chromedp.CSS("#hh-menu-open")),
		chromedp.WaitVisible(chromedp.CSS("#hh-menu")),
		chromedp.Click(chromedp.CSS(`#hh-menu-list [data-kind="putaway"]`)),
		chromedp.WaitVisible(chromedp.CSS("#hh-work")),
	)
	b.WaitFor("the putaway prompt", `document.getElementById('hh-work').dataset.step === 'putaway_item'`)
	if code, msg := b.WorkScan("(00)" + pallet.SSCC); code != pickwave.VerdictOK {
		t.Fatalf("take the pallet: %s %q", code, msg)
	}
	b.WaitFor("the suggestion", `document.getElementById('hh-work').dataset.step === 'putaway_to'`)
	if where := b.Text("#hh-w-where"); !strings.Contains(where, "Suggested") {
		t.Fatalf("no suggested location shown: %q", where)
	}
	if !b.Unobscured("#hh-w-cancel") {
		t.Error("the cancel button is under the scan bar or off screen at 360 px")
	}
	b.CheckConsole()
}

// TestPages_handheldWorkInSpanish: a packer whose locale is es gets the
// work menu and the receive screen in Spanish: the kinds, their hints,
// the step, the instruction (drawn from the catalog with the prompt's
// fields, since the server words it in English), the notice in hand, the
// buttons, the labels and the reasons. No English text of the work
// screens' catalog is left on the page.
func TestPages_handheldWorkInSpanish(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a real browser")
	}
	execPath := browsertest.Path(t)
	f := newFloor(t, []string{"packer"}, false)
	if _, err := f.db.SetLocale(context.Background(), "packer", "es"); err != nil {
		t.Fatal(err)
	}
	pallets, err := demo.Pallets()
	if err != nil {
		t.Fatal(err)
	}
	b := browsertest.New(t, execPath)
	b.Do("phone screen", chromedp.EmulateViewport(360, 640, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	b.Do("log in as the packer",
		chromedp.Navigate(f.url+"/handheld.html"),
		chromedp.WaitVisible(chromedp.CSS(`#hh-conn[data-state="online"]`)),
		chromedp.Click(chromedp.CSS("#hh-pw summary")),
		chromedp.WaitVisible(chromedp.CSS("#hh-username")),
		chromedp.SendKeys(chromedp.CSS("#hh-username"), "packer"),
		chromedp.SendKeys(chromedp.CSS("#hh-password"), demo.Password+"\n"),
		chromedp.WaitVisible(chromedp.CSS("#hh-menu")),
	)
	b.WaitFor("the page in Spanish", `document.documentElement.lang === 'es'`)
	if got := strings.Join(b.Texts("#hh-menu-list .hh-menu-title"), ","); got != "Recibir,Ubicar,Mover" {
		t.Errorf("the menu's kinds: %s", got)
	}
	if got := b.Texts("#hh-menu-list .hh-menu-hint"); len(got) != 3 || got[0] != "Recibir palés y cajas en el muelle" {
		t.Errorf("the menu's hints: %q", got)
	}
	if got := b.Text("#hh-menu .hh-huge-text"); got != "Elija su trabajo" {
		t.Errorf("the menu's title: %q", got)
	}
	// English left anywhere on the work screens, from their catalog keys.
	cat := catalogs(t)
	var english []string
	for k, v := range cat["en"] {
		if strings.HasPrefix(k, "hw.") {
			for _, s := range forms(t, v) {
				if !slices.Contains(forms(t, cat["es"][k]), s) && !placeholder.MatchString(s) {
					english = append(english, s)
				}
			}
		}
	}
	englishLeft := func(where string) {
		t.Helper()
		texts := browsertest.Eval[[]string](b, fmt.Sprintf(`[...document.querySelectorAll('%s *')].filter((e) => e.children.length === 0).map((e) => e.textContent.trim())`, where))
		for _, text := range texts {
			if slices.Contains(english, text) || strings.HasPrefix(text, "Scan a pallet's SSCC label") { // or the server's own wording
				t.Errorf("%s shows English %q", where, text)
			}
		}
	}
	englishLeft("#hh-menu")

	b.Do("choose Recibir",
		chromedp.Click(chromedp.CSS(`#hh-menu-list [data-kind="receive"]`)),
		chromedp.WaitVisible(chromedp.CSS("#hh-work")),
	)
	b.WaitFor("the receive prompt", `document.getElementById('hh-work').dataset.step === 'receive'`)
	for sel, want := range map[string]string{
		"#hh-w-kind": "Recibir",
		"#hh-w-step": "Recibir",
		"#hh-w-say":  "Escanee la etiqueta SSCC de un palé o un aviso; las cajas y los artículos sin aviso se reciben a ciegas.",
	} {
		if got := b.Text(sel); got != want {
			t.Errorf("%s says %q, want %q", sel, got, want)
		}
	}
	englishLeft("#hh-work")

	if code, msg := b.WorkScan(pallets[0].Label); code != pickwave.VerdictOK {
		t.Fatalf("the pallet scan: %s %q", code, msg)
	}
	notice := b.Text("#hh-w-notice")
	if !strings.HasPrefix(notice, "Aviso IN-") {
		t.Errorf("the notice in hand shows %q", notice)
	}
	id := strings.TrimPrefix(notice, "Aviso ")
	if got := b.Text("#hh-w-say"); !regexp.MustCompile(`^Aviso ` + regexp.QuoteMeta(id) + `: \d+ líneas? abiertas?\. Escanee un palé, una caja o un artículo; «Aviso completo» lo cierra\.$`).MatchString(got) {
		t.Errorf("the instruction with a notice in hand: %q", got)
	}
	for sel, want := range map[string]string{
		"#hh-w-done":                         "Aviso completo",
		"#hh-w-cancel":                       "Cancelar",
		`label[for="hh-w-reason"]`:           "Motivo (recepción de más, aviso incompleto)",
		`label[for="hh-w-count"]`:            "Cantidad para el siguiente escaneo",
		`#hh-w-reason option[value=""]`:      "ninguno",
		`#hh-w-reason option[value=damaged]`: "Dañado",
	} {
		if got := b.Text(sel); got != want {
			t.Errorf("%s says %q, want %q", sel, got, want)
		}
	}
	englishLeft("#hh-work")
	b.SaveShot("handheld-receive-es.png")
	b.CheckConsole()
}
