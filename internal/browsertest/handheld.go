package browsertest

import (
	"fmt"

	"github.com/chromedp/chromedp"
)

// HandheldView is what the handheld page (/handheld.html) shows, read
// from the page.
type HandheldView struct {
	Screen   string `json:"screen"`
	Step     string `json:"step"`
	Cart     string `json:"cart"`
	Task     string `json:"task"`
	BindSlot string `json:"bind_slot"`
	Location string `json:"location"`
	SKU      string `json:"sku"`
	Left     string `json:"left"`
	ToteSlot string `json:"tote_slot"`
	Seq      int    `json:"seq"`
	Pending  int    `json:"pending"`
	Conn     string `json:"conn"`
}

const handheldViewJS = `(() => {
	const t = (id) => document.getElementById(id).textContent.trim();
	const p = document.getElementById('hh-pick');
	return {
		screen: document.body.dataset.screen || '',
		step: p.dataset.step || '', cart: p.dataset.cart || '', task: p.dataset.task || '',
		bind_slot: t('hh-bind-big'), location: t('hh-loc'), sku: t('hh-sku'), left: t('hh-qty'), tote_slot: t('hh-slot'),
		seq: Number(document.body.dataset.seq || 0), pending: Number(document.body.dataset.pending || 0),
		conn: document.getElementById('hh-conn').dataset.state,
	};
})()`

// Handheld reads what the handheld page shows.
func (b *Browser) Handheld() HandheldView {
	b.t.Helper()
	return Eval[HandheldView](b, handheldViewJS)
}

// answered waits until the handheld page has answered a scan made after
// it showed sequence number before, with nothing left to send.
func (b *Browser) answered(code string, before int) {
	b.t.Helper()
	b.WaitFor("the answer to "+code, fmt.Sprintf(`Number(document.body.dataset.seq) > %d && document.body.dataset.pending === '0'`, before))
}

// Scan types a barcode into the handheld's scan box as a keyboard wedge
// does, and waits until its answer is shown.
func (b *Browser) Scan(code string) HandheldView {
	b.t.Helper()
	before := b.Handheld().Seq
	b.Do("scan "+code, chromedp.SendKeys(chromedp.CSS("#hh-scan"), code+"\n"))
	b.answered(code, before)
	return b.Handheld()
}

// WedgeScan scans code with the wedge and waits for its answer.
func (b *Browser) WedgeScan(code string) HandheldView {
	b.t.Helper()
	before := b.Handheld().Seq
	b.Wedge(code)
	b.answered(code, before)
	return b.Handheld()
}

// WorkScan scans code on the handheld's work screen (as a wedge does) and
// waits for its answer: the scan kept in the outbox, sent, and answered.
func (b *Browser) WorkScan(code string) (verdict, message string) {
	b.t.Helper()
	before := b.Handheld().Seq
	b.Wedge(code)
	b.answered(code, before)
	return b.Verdict()
}

// Verdict is the handheld's answer to the last scan: its code and message.
func (b *Browser) Verdict() (code, message string) {
	b.t.Helper()
	return Eval[string](b, `document.getElementById('hh-verdict').dataset.code`), b.Text("#hh-verdict-msg")
}

// HandheldSaved is the handheld page's state as kept in IndexedDB.
type HandheldSaved struct {
	Session string `json:"session"`
	LastSeq int    `json:"lastSeq"`
	Token   string `json:"token"`
	User    string `json:"user"`
	Prompt  *struct {
		Step    string `json:"step"`
		Done    bool   `json:"done"`
		DropOff string `json:"drop_off"`
	} `json:"prompt"`
	Outbox []struct {
		ID  string `json:"id"`
		Msg struct {
			Type  string `json:"type"`
			Data  string `json:"data"`
			Count int    `json:"count"`
		} `json:"msg"`
	} `json:"outbox"`
}

// handheldSavedJS reads the page's IndexedDB: the state record and the
// outbox.
const handheldSavedJS = `new Promise((resolve, reject) => {
	const r = indexedDB.open('pickwave-handheld');
	r.onerror = () => reject(r.error);
	r.onsuccess = () => {
		const db = r.result;
		const tx = db.transaction(['state', 'outbox']);
		const st = tx.objectStore('state').get('current');
		const ob = tx.objectStore('outbox').getAll();
		tx.oncomplete = () => { db.close(); resolve(Object.assign({}, st.result || {}, {outbox: ob.result || []})); };
		tx.onerror = () => reject(tx.error);
	};
})`

// Saved reads what the handheld page keeps in IndexedDB.
func (b *Browser) Saved() HandheldSaved {
	b.t.Helper()
	return Eval[HandheldSaved](b, handheldSavedJS, chromedp.EvalAwaitPromise)
}
