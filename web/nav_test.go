package web_test

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/demo"
	"github.com/pickwave/pickwave/internal/browsertest"
)

// navLayout is how the supervisor's navigation is laid out in the page.
type navLayout struct {
	Links    int      `json:"links"`
	Rows     int      `json:"rows"`     // distinct tops of the links
	Wrapped  []string `json:"wrapped"`  // links whose text takes more than one line
	Hidden   []string `json:"hidden"`   // links not shown, or outside the nav
	Overflow bool     `json:"overflow"` // the nav or the page wider than its box
	Widths   []string `json:"widths"`
}

const navLayoutJS = `(() => {
	const nav = document.querySelector('.tabs');
	const links = [...nav.querySelectorAll('a')];
	const box = nav.getBoundingClientRect();
	const tops = new Set(), wrapped = [], hidden = [];
	for (const a of links) {
		const r = a.getBoundingClientRect();
		if (r.width === 0 || r.height === 0 || getComputedStyle(a).visibility === 'hidden' || r.left < box.left - 0.5 || r.right > box.right + 0.5) hidden.push(a.textContent.trim());
		tops.add(Math.round(r.top));
		const range = document.createRange();
		range.selectNodeContents(a);
		const lines = new Set([...range.getClientRects()].map((q) => Math.round(q.top)));
		const cs = getComputedStyle(a);
		const line = parseFloat(cs.lineHeight) || parseFloat(cs.fontSize) * 1.5;
		const inner = r.height - parseFloat(cs.paddingTop) - parseFloat(cs.paddingBottom) - parseFloat(cs.borderTopWidth) - parseFloat(cs.borderBottomWidth);
		if (lines.size !== 1 || inner > line + 1) wrapped.push(a.textContent.trim());
	}
	const page = document.documentElement;
	return {
		links: links.length, rows: tops.size, wrapped, hidden,
		overflow: nav.scrollWidth > nav.clientWidth + 1 || page.scrollWidth > window.innerWidth + 1,
		widths: links.map((a) => a.textContent.trim() + ' ' + Math.round(a.getBoundingClientRect().width)),
	};
})()`

// layoutOfNav reads how b's page lays out the supervisor's navigation.
func layoutOfNav(t *testing.T, b *browsertest.Browser) navLayout {
	t.Helper()
	return browsertest.Eval[navLayout](b, navLayoutJS)
}

// TestPages_navFitsOneLine: the supervisor's navigation at 1,280 px, in
// Spanish (the longest labels) and in English, is one row of links, each
// on one line, none hidden; at 360 px it wraps into rows but every link
// is still shown and the page needs no sideways scrolling.
func TestPages_navFitsOneLine(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a real browser")
	}
	exec := browsertest.Path(t)
	s := newSite(t)
	if err := s.db.CreateUser(context.Background(), &pickwave.User{Name: "sofia", Role: pickwave.RoleSupervisor, Locale: "es"}, demo.Password); err != nil {
		t.Fatal(err)
	}
	b := browsertest.New(t, exec)
	b.Width(1280)
	b.Do("log in", chromedp.Navigate(s.url+"/"), chromedp.WaitVisible(chromedp.CSS("#login-username")))
	b.Fill("#login-username", "sofia")
	b.Fill("#login-password", demo.Password+"\n")
	b.Do("the console in Spanish", chromedp.WaitVisible(chromedp.CSS(`html[lang="es"] #topbar`)))

	for _, lang := range []string{"es", "en"} {
		browsertest.Eval[chromedp.Void](b, `I18n.use('`+lang+`'); I18n.apply(document)`)
		if got := browsertest.Eval[string](b, `document.querySelector('.tabs a[data-view="carts"]').textContent.trim()`); lang == "es" && got != "Carros y preparadores" {
			t.Fatalf("the nav is not in Spanish: %q", got)
		}
		b.Width(1280)
		l := layoutOfNav(t, b)
		t.Logf("%s at 1280 px: %v", lang, l.Widths)
		if l.Links != 10 || l.Rows != 1 || len(l.Wrapped) != 0 || len(l.Hidden) != 0 || l.Overflow {
			t.Errorf("%s at 1,280 px: the nav is %d rows of %d links, wrapped %q, hidden %q, overflow %v",
				lang, l.Rows, l.Links, l.Wrapped, l.Hidden, l.Overflow)
		}
		if lang == "es" {
			b.SaveShot("console-nav-es-1280.png")
		}
		b.Width(360)
		l = layoutOfNav(t, b)
		if l.Links != 10 || len(l.Hidden) != 0 || l.Overflow {
			t.Errorf("%s at 360 px: hidden %q, overflow %v", lang, l.Hidden, l.Overflow)
		}
		b.NoOverflow(lang + " at 360 px")
	}
	b.CheckConsole()
}
