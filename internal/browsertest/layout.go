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
// element; every text shown has WCAG AA contrast against what is behind
// it (contrastCheck); and the page needs no sideways scrolling at 360 or
// 1,280 px. It leaves the viewport at w.
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
	if low := Eval[[]string](b, contrastCheck); len(low) > 0 {
		b.t.Errorf("%s: text below WCAG AA contrast (4.5:1, large text 3:1): %v", what, low)
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

// contrastCheck lists the elements showing text whose colour has less
// than WCAG 2's AA contrast with the background behind it: 4.5:1, or 3:1
// for large text (24 px, or 18.66 px bold). The background is the first
// opaque one among the element and its ancestors, translucent ones laid
// over it, white at the root. Disabled controls are exempt, as WCAG says.
const contrastCheck = `(() => {
	const rgba = (c) => { const m = c.match(/[\d.]+/g) || [0, 0, 0, 0]; return m.map(Number).concat([1]).slice(0, 4); };
	const over = (top, under) => { const a = top[3]; return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat([1]); };
	const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
	const background = (el) => {
		const layers = [];
		for (let e = el; e; e = e.parentElement) {
			const bg = rgba(getComputedStyle(e).backgroundColor);
			if (bg[3] > 0) layers.push(bg);
			if (bg[3] >= 1) break;
		}
		let c = [255, 255, 255, 1];
		for (const l of layers.reverse()) c = over(l, c);
		return c;
	};
	const out = [];
	for (const el of document.querySelectorAll('body *')) {
		if (!(el.offsetWidth || el.offsetHeight) || el.closest('[disabled], [aria-disabled="true"], svg')) continue;
		if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
		const st = getComputedStyle(el);
		if (st.visibility !== 'visible' || Number(st.opacity) === 0) continue;
		const fg = over(rgba(st.color), background(el));
		const bg = background(el);
		const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
		const ratio = (hi + 0.05) / (lo + 0.05);
		const size = parseFloat(st.fontSize), bold = Number(st.fontWeight) >= 700;
		const need = size >= 24 || (size >= 18.66 && bold) ? 3 : 4.5;
		if (ratio < need - 0.01) out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '') + ' "' + el.textContent.trim().slice(0, 24) + '" ' + ratio.toFixed(2) + ':1 (' + st.color + ' on rgb(' + bg.slice(0, 3).map(Math.round).join(',') + '))');
	}
	return out.slice(0, 12);
})()`
