package web_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/demo"
	"github.com/pickwave/pickwave/internal/browsertest"
)

// catalogs reads static/i18n/*.js: each is `I18n.add('xx', {JSON});`.
// A text is a string or an object of plural forms.
func catalogs(t *testing.T) map[string]map[string]any {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("static", "i18n", "*.js"))
	if err != nil || len(files) < 2 {
		t.Fatalf("catalogs: %v %v; want English and Spanish at least", files, err)
	}
	out := map[string]map[string]any{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src := string(data)
		lang := strings.TrimSuffix(filepath.Base(f), ".js")
		head := "I18n.add('" + lang + "', "
		i, j := strings.Index(src, head), strings.LastIndex(src, ");")
		if i < 0 || j < i {
			t.Fatalf("%s: not %s{...});", f, head)
		}
		var cat map[string]any
		if err := json.Unmarshal([]byte(src[i+len(head):j]), &cat); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[lang] = cat
	}
	return out
}

// usedKeys finds every catalog key the UI's own sources use: t('key')
// calls in the scripts, data-i18n and data-i18n-* attributes in pages.
func usedKeys(t *testing.T) map[string][]string {
	t.Helper()
	calls := regexp.MustCompile(`\bt\(\s*['"]([A-Za-z0-9_.]+)['"]\s*[,)]`)
	attrs := regexp.MustCompile(`\bdata-i18n(?:-[a-z-]+)?="([^"]+)"`)
	used := map[string][]string{}
	err := filepath.WalkDir("static", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path == filepath.Join("static", "vendor") || path == filepath.Join("static", "i18n") {
				return filepath.SkipDir
			}
			return nil
		}
		re := map[string]*regexp.Regexp{".js": calls, ".html": attrs}[filepath.Ext(path)]
		if re == nil {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(data), -1) {
			if !slices.Contains(used[m[1]], path) {
				used[m[1]] = append(used[m[1]], path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return used
}

var placeholder = regexp.MustCompile(`\{\w+\}`)

// forms is a text's forms: itself, or each plural form.
func forms(t *testing.T, v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case map[string]any:
		if _, ok := v["other"]; !ok {
			t.Errorf("plural text %v has no other form", v)
		}
		var out []string
		for _, f := range v {
			s, _ := f.(string)
			out = append(out, s)
		}
		return out
	}
	t.Errorf("text %v is neither a string nor plural forms", v)
	return nil
}

// TestCatalog_everyKeyInEveryCatalog: every key a page or script uses is
// in every catalog, every catalog has the same keys, each text is
// non-empty, and a translation names the same placeholders as the English.
func TestCatalog_everyKeyInEveryCatalog(t *testing.T) {
	cats := catalogs(t)
	en, ok := cats["en"]
	if !ok || cats["es"] == nil {
		t.Fatalf("catalogs %v; want en and es", slices.Collect(func(yield func(string) bool) {
			for k := range cats {
				yield(k)
			}
		}))
	}
	used := usedKeys(t)
	if len(used) < 200 {
		t.Fatalf("only %d keys used: is the scan broken?", len(used))
	}
	for key, where := range used {
		for lang, cat := range cats {
			if _, ok := cat[key]; !ok {
				t.Errorf("%s: key %q is not in the %s catalog", strings.Join(where, ", "), key, lang)
			}
		}
	}
	for lang, cat := range cats {
		for key, v := range cat {
			if _, ok := en[key]; !ok {
				t.Errorf("%s catalog: key %q is not in the English one", lang, key)
				continue
			}
			want := placeholder.FindAllString(strings.Join(forms(t, en[key]), " "), -1)
			slices.Sort(want)
			want = slices.Compact(want)
			for _, f := range forms(t, v) {
				if strings.TrimSpace(f) == "" {
					t.Errorf("%s catalog: %q is empty", lang, key)
				}
				for _, p := range placeholder.FindAllString(f, -1) {
					if !slices.Contains(want, p) {
						t.Errorf("%s catalog: %q has %s, which the English text does not fill", lang, key, p)
					}
				}
			}
		}
		for key := range en {
			if _, ok := cat[key]; !ok {
				t.Errorf("%s catalog: key %q is missing", lang, key)
			}
		}
	}
}

// TestCatalog_everyPageLoadsIt: every page loads the catalog before its
// own scripts.
func TestCatalog_everyPageLoadsIt(t *testing.T) {
	pages, _ := filepath.Glob(filepath.Join("static", "*.html"))
	for _, p := range pages {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		src := string(data)
		i, en, es, common := strings.Index(src, `src="/i18n.js"`), strings.Index(src, `src="/i18n/en.js"`), strings.Index(src, `src="/i18n/es.js"`), strings.Index(src, `src="/common.js"`)
		if i < 0 || en < i || es < en || common < es {
			t.Errorf("%s: does not load i18n.js, then i18n/en.js and i18n/es.js, before common.js", p)
		}
		if !strings.Contains(src, "data-i18n") {
			t.Errorf("%s: no text from the catalog", p)
		}
	}
}

// TestI18n_spanishUser: a supervisor and a picker whose locale is es see
// the supervisor console and the handheld in Spanish, with dates and
// numbers in the Spanish way; the handheld shows a verdict's code in
// Spanish while the server's message stays English. A user who picks
// English in the console's menu gets it from the next load on.
func TestI18n_spanishUser(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a browser")
	}
	exec := browsertest.Path(t)
	s := newSite(t)
	ctx := context.Background()
	for _, u := range []*pickwave.User{
		{Name: "sofia", Role: pickwave.RoleSupervisor, Locale: "es"},
		{Name: "pablo", Role: pickwave.RolePicker, Locale: "es-MX"},
	} {
		if err := s.db.CreateUser(ctx, u, demo.Password); err != nil {
			t.Fatal(err)
		}
	}
	order := s.createOrder("ES-1", "Tienda Sol", "SKU-0001")

	b := browsertest.New(t, exec)
	b.Do("log in to the console",
		chromedp.Navigate(s.url+"/"),
		chromedp.WaitVisible(chromedp.CSS("#login-username")),
	)
	if got := b.Text("#login-submit"); got != "Log in" {
		t.Errorf("before the login, an English browser's button says %q", got)
	}
	b.Fill("#login-username", "sofia")
	b.Fill("#login-password", demo.Password+"\n")
	// The login finds the user's locale and draws the page again in it.
	b.Do("the console in Spanish", chromedp.WaitVisible(chromedp.CSS(`html[lang="es"] #topbar`)))
	b.WaitFor("the orders", `document.querySelectorAll('#orders-body tr').length > 0`)
	for sel, want := range map[string]string{
		`.tabs a[data-view="orders"]`: "Pedidos",
		`.tabs a[data-view="kpis"]`:   "Indicadores",
		"#logout":                     "Cerrar sesión",
		"#who-role":                   "supervisor",
		"#orders-refresh":             "Actualizar",
	} {
		if got := b.Text(sel); got != want {
			t.Errorf("%s says %q, want %q", sel, got, want)
		}
	}
	if got := browsertest.Eval[string](b, `document.title`); got != "Pedidos · Pickwave" {
		t.Errorf("title %q", got)
	}
	b.Do("open the order", chromedp.Navigate(s.url+"/#orders/"+order.ID))
	b.WaitFor("the order", `document.getElementById('od-created').textContent.trim().length > 1`)
	// December is "dic", and Spanish puts the day before the month.
	created := b.Text("#od-created")
	month := []string{"ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"}[time.Now().Month()-1]
	if !regexp.MustCompile(`^\d{1,2} ` + month + `\b`).MatchString(created) {
		t.Errorf("created %q, not a Spanish date (day, then %q)", created, month)
	}
	if got := b.Text("#od-priority"); got != "0 (normal)" {
		t.Errorf("priority %q", got)
	}
	// Numbers and weights: a decimal comma, a point between thousands.
	for expr, want := range map[string]string{
		`I18n.weight(1500)`:              "1,5 kg",
		`I18n.weight(250)`:               "250 g",
		`I18n.num(12345.5)`:              "12.345,5",
		`I18n.t('con.n_orders', {n: 2})`: "2 pedidos",
	} {
		if got := browsertest.Eval[string](b, expr); got != want {
			t.Errorf("%s = %q, want %q", expr, got, want)
		}
	}
	b.SaveShot("console-es.png")

	// The handheld: pablo's welcome carries es-MX.
	h := browsertest.New(t, exec)
	h.Do("log in on the handheld",
		chromedp.Navigate(s.url+"/handheld.html"),
		chromedp.WaitVisible(chromedp.CSS("#hh-pw summary")),
		chromedp.Click(chromedp.CSS("#hh-pw summary")),
		chromedp.WaitVisible(chromedp.CSS("#hh-username")),
		chromedp.SendKeys(chromedp.CSS("#hh-username"), "pablo"),
		chromedp.SendKeys(chromedp.CSS("#hh-password"), demo.Password+"\n"),
		chromedp.WaitVisible(chromedp.CSS("#hh-idle")),
	)
	h.WaitFor("the handheld in Spanish", `document.documentElement.lang === 'es-MX' && document.getElementById('hh-conn').dataset.state === 'online'`)
	for sel, want := range map[string]string{
		"#hh-take":               "Tomar carro",
		"#hh-idle .hh-huge-text": "Tome un carro para empezar a preparar",
		"#hh-conn":               "En línea",
		"#hh-logout":             "Cerrar sesión",
		`label[for="hh-scan"]`:   "Escanear",
	} {
		if got := h.Text(sel); got != want {
			t.Errorf("handheld %s says %q, want %q", sel, got, want)
		}
	}
	// A scan with no cart: the verdict no_task, shown from the catalog.
	h.Fill("#hh-scan", "A-01-01-1\n")
	h.WaitFor("the verdict", `document.getElementById('hh-verdict').dataset.code === 'no_task'`)
	if got := h.Text("#hh-verdict-msg"); got != "Nada que escanear por ahora: tome un carro." {
		t.Errorf("verdict %q", got)
	}
	h.Width(360)
	h.NoOverflow("the Spanish handheld at 360 px")
	h.SaveShot("handheld-es-360.png")

	// Back in the console, sofia picks English: stored, and the page is
	// drawn again in it.
	b.Do("back to the orders", chromedp.Navigate(s.url+"/#orders"))
	b.WaitFor("the console", `!document.getElementById('topbar').hidden`)
	b.Choose("#locale-select", "en")
	b.Do("the console in English", chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] #topbar`)))
	if got := b.Text(`.tabs a[data-view="orders"]`); got != "Orders" {
		t.Errorf("after choosing English the orders tab says %q", got)
	}
	if u, err := s.db.User(ctx, "sofia"); err != nil || u.Locale != "en" {
		t.Errorf("sofia's locale after choosing English: %+v %v", u, err)
	}
	b.CheckConsole()
	h.CheckConsole()
}

// TestCatalog_handheldWorkHasNoLiterals: the handheld's work screens
// (handheld-work.js) show no text of their own, only the catalog's. Each
// string literal in the script must be a catalog key (or a key's prefix),
// a DOM id of handheld.html, a token of the protocol (a message type, kind,
// step, action or reason, quoted in docs/protocol.md; or such a token and
// "-", a message id's prefix), CSS classes the
// style sheets define, a DOM word (an event, a tag, a key), a catalog's
// language, or have no
// letters at all. Anything else is text a user would see untranslated.
func TestCatalog_handheldWorkHasNoLiterals(t *testing.T) {
	read := func(path string) string {
		t.Helper()
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	src := read(filepath.Join("static", "handheld-work.js"))
	html := read(filepath.Join("static", "handheld.html"))
	css := read(filepath.Join("static", "handheld.css")) + read(filepath.Join("static", "app.css"))
	protocol := read(filepath.Join("..", "docs", "protocol.md"))
	cats := catalogs(t)
	en := cats["en"]

	ids := map[string]bool{}
	for _, m := range regexp.MustCompile(`\bid="([^"]+)"`).FindAllStringSubmatch(html, -1) {
		ids[m[1]] = true
	}
	tokens := map[string]bool{}
	for _, m := range regexp.MustCompile("[`\"]([a-z][a-z0-9_]*)[`\"]").FindAllStringSubmatch(protocol, -1) {
		tokens[m[1]] = true
	}
	dom := map[string]bool{"click": true, "input": true, "keydown": true, "Enter": true, "button": true, "span": true, "div": true, "b": true}
	isClasses := func(s string) bool {
		words := strings.Fields(s)
		for _, w := range words {
			if !regexp.MustCompile(`\.` + regexp.QuoteMeta(w) + `\b`).MatchString(css) {
				return false
			}
		}
		return len(words) > 0
	}
	isKeyPrefix := func(s string) bool {
		for k := range en {
			if strings.HasPrefix(k, s) {
				return true
			}
		}
		return false
	}
	letters := regexp.MustCompile(`\pL`)

	// Comments go first (the script has no "//" inside a string), then
	// every quoted literal is judged.
	code := regexp.MustCompile(`(?m)^\s*//.*$|\s//\s.*$`).ReplaceAllString(src, "")
	literals := regexp.MustCompile("'((?:[^'\\\\\\n]|\\\\.)*)'|\"((?:[^\"\\\\\\n]|\\\\.)*)\"|`((?:[^`\\\\]|\\\\.)*)`").FindAllStringSubmatch(code, -1)
	if len(literals) < 30 {
		t.Fatalf("only %d string literals found in handheld-work.js: is the scan broken?", len(literals))
	}
	for _, m := range literals {
		lit := m[1] + m[2] + m[3]
		switch {
		case !letters.MatchString(lit), ids[lit], tokens[lit], dom[lit], isClasses(lit), cats[lit] != nil:
		case regexp.MustCompile(`^h[hw]\.[a-z0-9_.]+$`).MatchString(lit) && isKeyPrefix(lit):
		case strings.HasSuffix(lit, "-") && tokens[strings.TrimSuffix(lit, "-")]: // a message id's prefix
		default:
			t.Errorf("handheld-work.js shows %q: take it from the catalog (t('hw....'))", lit)
		}
	}
}
