package browsertest

import (
	"fmt"

	"github.com/chromedp/chromedp"
)

// Width sets the page's viewport width (360: a phone; 1280: a laptop).
func (b *Browser) Width(w int64) {
	b.t.Helper()
	b.Do(fmt.Sprintf("viewport %d px", w), chromedp.EmulateViewport(w, 900, chromedp.EmulateScale(1)))
}

// NoOverflow fails when the page is wider than its viewport: a screen
// that needs sideways scrolling is not usable on a phone.
func (b *Browser) NoOverflow(what string) {
	b.t.Helper()
	if over := Eval[bool](b, `document.documentElement.scrollWidth > window.innerWidth + 1`); over {
		b.t.Logf("wide: %v", Eval[[]string](b, `[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && e.offsetParent !== null).slice(0, 8).map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))`))
		b.t.Errorf("%s: the page is %v px wide in a %v px viewport", what,
			Eval[float64](b, `document.documentElement.scrollWidth`), Eval[float64](b, `window.innerWidth`))
	}
}

// FitsWidth checks the screen at width px: nothing wider than the
// viewport, so no sideways scrolling of the page (tables scroll in their
// own box). It leaves the window at 1,280 px.
func (b *Browser) FitsWidth(what string, width int64) {
	b.t.Helper()
	b.Do("narrow the window", chromedp.EmulateViewport(width, 800))
	defer b.Do("widen the window", chromedp.EmulateViewport(1280, 900))
	if w := Eval[int64](b, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); w > 0 {
		wide := Eval[[]string](b, fmt.Sprintf(`[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0*%d && (!e.parentElement.closest('.table-wrap') || e.matches('.table-wrap'))).slice(0, 8).map(e => e.tagName + '#' + e.id + '.' + e.className)`, width))
		b.t.Errorf("%s at %d px: the page is %d px too wide: %v", what, width, w, wide)
	}
}

// Accessible checks a screen's accessibility basics: every input, select
// and textarea on the page (shown or not) has a label with text (label
// for= or around it), an aria-label or an aria-labelledby naming an
// element; and the page needs no sideways scrolling at 360 or 1,280 px.
// It leaves the viewport at w.
func (b *Browser) Accessible(what string, w int64) {
	b.t.Helper()
	unlabelled := Eval[[]string](b, `[...document.querySelectorAll('input, select, textarea')]
		.filter((e) => e.type !== 'hidden')
		.filter((e) => !([...(e.labels || [])].some((l) => l.textContent.trim()))
			&& !(e.getAttribute('aria-label') || '').trim()
			&& !(e.getAttribute('aria-labelledby') || '').split(/\s+/).some((id) => id && document.getElementById(id)))
		.map((e) => e.tagName.toLowerCase() + '#' + e.id)`)
	if len(unlabelled) > 0 {
		b.t.Errorf("%s: no label on %v", what, unlabelled)
	}
	for _, vw := range []int64{360, 1280} {
		b.Width(vw)
		b.NoOverflow(fmt.Sprintf("%s at %d px", what, vw))
	}
	b.Width(w)
}

// Unobscured says whether the element sel is on screen and on top at its
// centre, and not under the handheld's scan bar, on a page no wider than
// the screen.
func (b *Browser) Unobscured(sel string) bool {
	b.t.Helper()
	return Eval[bool](b, fmt.Sprintf(`(() => {
		const el = document.querySelector(%q);
		el.scrollIntoView({block: 'nearest'});
		const r = el.getBoundingClientRect();
		const bar = document.querySelector('.hh-scanbar').getBoundingClientRect();
		const x = r.left + r.width / 2, y = r.top + r.height / 2;
		const fits = document.documentElement.scrollWidth <= document.documentElement.clientWidth;
		return fits && r.height > 0 && r.top >= 0 && r.bottom <= bar.top + 0.5 && document.elementFromPoint(x, y) === el;
	})()`, sel))
}
