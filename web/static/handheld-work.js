// Pickwave handheld floor work: the menu of the kinds of work the user's
// role may do, and one screen for receiving, putaway, counts,
// replenishment and moves, one task at a time, like picking. It speaks
// the floor-work messages of the handheld socket (docs/protocol.md,
// "Floor work"): `work` asks what to do now, `work_scan` carries a scan
// or an action and is answered by a sequenced `work_verdict`.
//
// handheld.js owns the socket, the durable outbox (IndexedDB), the scan
// box, feedback and the saved state; this module only builds messages
// and draws. A work scan is queued through the same outbox as a pick
// scan: kept before it is sent, resent with the same id after a drop,
// answered from record by the server. Text from the server is only ever
// set with textContent.

const { I18n } = window;
const { t } = I18n;

// The kinds of work and the steps, each with its title (and a kind with
// its hint) from the message catalog, looked up when drawn so that a
// change of locale (the welcome carries the user's) is followed.
const KINDS = ['pick', 'receive', 'putaway', 'count', 'replenish', 'move'];
const STEPS = ['receive', 'putaway_item', 'putaway_to', 'move_from', 'move_item', 'move_to',
  'count_location', 'count_item', 'replenish_from', 'replenish_to', 'idle'];

// kindTitle is the name of a kind of work, the kind itself when unknown.
export function kindTitle(kind) {
  return KINDS.includes(kind) ? t('hw.kind.' + kind) : kind;
}

function stepTitle(step) {
  return STEPS.includes(step) ? t('hw.step.' + step) : step || '';
}

// instruction is the step's one-sentence instruction. The server words
// it in English, with what only it knows (a notice's supplier), and an
// English page shows that; in another language it is drawn from the
// catalog with the prompt's fields.
function instruction(kind, p) {
  if (I18n.lang === 'en' && p.say) return p.say;
  const f = {
    sku: p.sku || '', qty: p.qty || 0, from: p.from || '', to: p.to || '', suggested: p.suggested || '',
    notice: p.notice || '', n: p.waiting || 0, counted: p.counted || 0,
  };
  switch (p.step) {
    case 'receive': return p.notice ? t('hw.say.receive_notice', f) : t('hw.say.receive');
    case 'putaway_item': return t('hw.say.putaway_item', f);
    case 'putaway_to': return p.suggested ? t('hw.say.putaway_to', f) : t('hw.say.putaway_anywhere', f);
    case 'count_location': return t('hw.say.count_location', f);
    case 'count_item': return t('hw.say.count_item', f);
    case 'replenish_from': return t('hw.say.replenish_from', f);
    case 'replenish_to': return t('hw.say.replenish_to', f);
    case 'move_from': return t('hw.say.move_from');
    case 'move_item': return p.qty > 0 ? t('hw.say.move_put', f) : t('hw.say.move_item', f);
    case 'idle':
      if (kind === 'count') return t('hw.say.no_count');
      if (kind === 'replenish') return p.waiting > 0 ? t('hw.say.no_reserve', f) : t('hw.say.no_replenishment');
      return t('hw.step.idle');
  }
  return p.say || '';
}

// The reasons an over-receipt, or a notice closed short, is sent with.
export const RECEIPT_REASONS = ['supplier_over', 'supplier_short', 'damaged', 'wrong_count_on_label', 'other'];

const MAX_COUNT = 100000;

export class Work {
  // deps: $ (by id), newID, device, queue(msg) (keeps and sends a
  // message through the outbox), send(msg) (sends now, nothing kept),
  // choose(kind) (switches the page to a kind, '' for the menu).
  constructor(deps) {
    this.d = deps;
    this.count = 0;
    this.asking = '';
  }

  // wire hooks the work screen's buttons up.
  wire() {
    const { $ } = this.d;
    $('hh-w-done').addEventListener('click', () => this.action('done'));
    $('hh-w-all').addEventListener('click', () => this.action('all'));
    $('hh-w-cancel').addEventListener('click', () => this.action('cancel'));
    $('hh-w-count').addEventListener('input', () => { this.count = this.countValue(); });
    $('hh-w-count').addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        this.count = this.countValue();
        $('hh-scan').focus();
      }
    });
  }

  // renderMenu lists the kinds the role may do, each a big button.
  renderMenu(kinds, current) {
    const { $ } = this.d;
    const list = $('hh-menu-list');
    list.replaceChildren();
    for (const kind of kinds) {
      if (!KINDS.includes(kind)) continue;
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'btn hh-btn hh-menu-item' + (kind === current ? ' btn-primary' : '');
      b.dataset.kind = kind;
      const title = document.createElement('span');
      title.className = 'hh-menu-title';
      title.textContent = kindTitle(kind);
      const hint = document.createElement('span');
      hint.className = 'hh-menu-hint';
      hint.textContent = t('hw.hint.' + kind);
      b.append(title, hint);
      b.addEventListener('click', () => this.d.choose(kind));
      list.append(b);
    }
  }

  // ask asks the server what to do now in work of the kind; the answer is
  // a sequenced `work` message.
  ask(kind) {
    this.asking = 'work-' + this.d.newID();
    return this.d.send({ type: 'work', id: this.asking, kind });
  }

  // scanMessage is the work_scan for a scan in the kind's screen.
  scanMessage(kind, raw) {
    const m = { type: 'work_scan', id: this.d.newID(), device: this.d.device, kind, data: raw };
    if (this.count > 1) m.count = this.count;
    const reason = this.d.$('hh-w-reason').value;
    if (reason && kind === 'receive') m.reason = reason;
    this.clearCount();
    return m;
  }

  // action queues a work_scan with an action (done, all, cancel).
  action(name) {
    const kind = this.kind;
    if (!kind) return;
    const m = { type: 'work_scan', id: this.d.newID(), device: this.d.device, kind, action: name };
    const reason = this.d.$('hh-w-reason').value;
    if (reason && kind === 'receive') m.reason = reason;
    this.clearCount();
    this.d.queue(m);
  }

  countValue() {
    const v = this.d.$('hh-w-count').value.trim();
    if (!/^\d{1,6}$/.test(v) || Number(v) < 1 || Number(v) > MAX_COUNT) return 0;
    return Number(v);
  }

  clearCount() {
    this.count = 0;
    this.d.$('hh-w-count').value = '';
  }

  // render draws the prompt of the kind; p may be null while the first
  // answer is on its way.
  render(kind, p) {
    const { $ } = this.d;
    this.kind = kind;
    const box = $('hh-work');
    box.dataset.kind = kind;
    box.dataset.step = (p && p.step) || '';
    $('hh-w-kind').textContent = kindTitle(kind);
    $('hh-w-waiting').textContent = p && p.waiting ? t('hw.waiting', { n: p.waiting }) : '';
    if (!p) {
      $('hh-w-step').textContent = kindTitle(kind);
      $('hh-w-say').textContent = t('hw.asking');
      for (const id of ['hh-w-where', 'hh-w-item', 'hh-w-qtyrow', 'hh-w-actions-more']) $(id).hidden = true;
      return;
    }
    $('hh-w-step').textContent = stepTitle(p.step);
    $('hh-w-say').textContent = instruction(kind, p);

    // Where: the location to go to or scan. A count never shows the book
    // quantity: the prompt does not carry it.
    const where = [];
    if (p.from) where.push([t('hw.from'), p.from]);
    if (p.to) where.push([t('hw.to'), p.to]);
    if (p.suggested) where.push([t('hw.suggested'), p.suggested]);
    const w = $('hh-w-where');
    w.replaceChildren();
    for (const [label, code] of where) {
      const row = document.createElement('div');
      row.className = 'hh-w-where-row';
      const l = document.createElement('span');
      l.className = 'hh-w-where-label';
      l.textContent = label;
      const c = document.createElement('b');
      c.className = 'hh-loc';
      c.textContent = code;
      row.append(l, c);
      w.append(row);
    }
    w.hidden = where.length === 0;

    $('hh-w-sku').textContent = p.sku || '';
    $('hh-w-name').textContent = [p.sku_name, p.lot ? t('hw.lot', { lot: p.lot }) : ''].filter(Boolean).join(' · ');
    $('hh-w-item').hidden = !p.sku;
    const qty = kind === 'count' ? p.counted : p.qty;
    $('hh-w-qty').textContent = I18n.num(qty || 0);
    $('hh-w-qty-label').textContent = kind === 'count' ? t('hw.counted_so_far', { n: qty || 0 }) : t('hw.units', { n: qty || 0 });
    $('hh-w-qtyrow').hidden = !(qty > 0) && !(kind === 'count' && p.step === 'count_item');
    $('hh-w-notice').textContent = p.notice ? t('hw.notice_id', { id: p.notice }) : p.count ? t('hw.count_id', { id: p.count }) : p.receipt ? t('hw.receipt_id', { id: p.receipt }) : '';

    // The actions the step takes.
    const idle = p.step === 'idle';
    $('hh-w-done').hidden = !((kind === 'count' && p.step === 'count_item') || (kind === 'receive' && !!p.notice));
    $('hh-w-done').textContent = kind === 'count' ? t('hw.count_done') : t('hw.notice_complete');
    $('hh-w-all').hidden = !(kind === 'move' && p.step === 'move_item' && !(p.qty > 0));
    $('hh-w-cancel').hidden = idle || p.step === 'move_from' || p.step === 'putaway_item' || (kind === 'receive' && !p.notice);
    $('hh-w-reason-row').hidden = kind !== 'receive';
    $('hh-w-count-box').hidden = idle || !['receive', 'putaway_item', 'move_item', 'count_item'].includes(p.step);
    $('hh-w-actions-more').hidden = false;
  }
}
