// Pickwave handheld keyboard wedge: tells a scanner's burst of keys from a
// person typing.
//
// A keyboard-wedge scanner (Zebra DataWedge, Honeywell's wedge, any USB
// or Bluetooth HID scanner) types a barcode as key presses a few
// milliseconds apart and ends it with Enter (or Tab). A person types at
// least several tens of milliseconds apart. Wedge listens to every key on
// the page before anything else does (capture on the window) and:
//
//   - takes a burst (at least minLength keys, each within maxGapMs of the
//     one before, ended by Enter or Tab within maxGapMs) as one scan,
//     in the scan box, in a field marked data-wedge="scan" (the quantity
//     and count fields) and on anything that takes no typing (a button
//     just tapped): typed into the quantity or count field, the
//     burst's characters are taken back out of it and the field is left
//     as it was; typed into the scan box, the scan is what the box holds,
//     as a person's Enter would send it (a wedge that stalls for a moment
//     mid-code must not lose the code's first characters);
//   - leaves typing alone: keys a person types go into the focused field,
//     and other fields (user name, password: a password manager types
//     fast too) are never read as scans;
//     and a person's Enter in the scan box sends what they typed (the page
//     does that, not Wedge);
//   - waits maxGapMs after a shortcut key (say "*" for a quantity)
//     pressed on an empty scan box before acting on it: when the next key
//     comes sooner it was a barcode's first character (Code 39 and HIBC
//     codes start with "*" or "+") and stays in the box with the rest of
//     the burst; only when nothing follows is it taken back out of the
//     box and acted on;
//   - reads GS (FNC1 in GS1 barcodes), which wedges type as the control
//     character or as Ctrl+], into the burst and the field.
//
// Timing comes from the events' own timestamps, so a busy page does not
// turn a burst into typing.
'use strict';

export const GS = '\u001d';

function isTextField(el) {
  if (!el) return false;
  if (el.tagName === 'TEXTAREA') return true;
  if (el.tagName !== 'INPUT') return false;
  return ['text', 'search', 'password', 'tel', 'number', ''].includes(el.type || '');
}

export class Wedge {
  // opts: scanField (the scan box), onScan(data, target), shortcuts
  // ({key: fn}, acted on only when canShortcut() says so), canShortcut(),
  // maxGapMs (default 50), minLength (default 4).
  constructor(opts) {
    this.scanField = opts.scanField;
    this.onScan = opts.onScan;
    this.shortcuts = opts.shortcuts || {};
    this.canShortcut = opts.canShortcut || (() => true);
    this.maxGapMs = opts.maxGapMs || 50;
    this.minLength = opts.minLength || 4;
    this.reset();
    this.held = null; // a shortcut key waiting to see what follows
    this.onKey = this.onKey.bind(this);
    window.addEventListener('keydown', this.onKey, true);
  }

  reset() {
    this.buf = '';
    this.fast = true;     // every gap in buf so far was short
    this.last = -Infinity;
    this.snap = null;     // the focused field as it was before buf began
  }

  // snapshot remembers a field's text and caret before a burst's first key.
  snapshot(el) {
    if (!isTextField(el)) return null;
    let start = null;
    let end = null;
    try { start = el.selectionStart; end = el.selectionEnd; } catch (err) { /* not a text type */ }
    return { el, value: el.value, start, end };
  }

  restore(snap) {
    if (!snap || snap.el === this.scanField) return;
    snap.el.value = snap.value;
    try {
      if (snap.start !== null) snap.el.setSelectionRange(snap.start, snap.end);
    } catch (err) { /* not a text type */ }
    snap.el.dispatchEvent(new Event('input', { bubbles: true }));
  }

  insert(el, text) {
    if (!isTextField(el)) return;
    try {
      const start = el.selectionStart ?? el.value.length;
      const end = el.selectionEnd ?? el.value.length;
      el.setRangeText(text, start, end, 'end');
    } catch (err) {
      el.value += text;
    }
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }

  // flushHeld forgets a shortcut key waiting to be acted on: it stays
  // in the box as the character it is.
  flushHeld() {
    const h = this.held;
    if (!h) return;
    clearTimeout(h.timer);
    this.held = null;
  }

  // accepts says whether a burst typed into el is a scan.
  accepts(el) {
    if (!el || el === this.scanField || el === document.body) return true;
    if (el.dataset && el.dataset.wedge === 'scan') return true;
    const tag = el.tagName;
    return !(tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || el.isContentEditable);
  }

  onKey(e) {
    if (e.isComposing) return;
    const now = e.timeStamp;
    const gap = now - this.last;
    const target = document.activeElement;
    if (!this.accepts(target)) {
      this.flushHeld();
      this.reset();
      return;
    }
    const key = e.key;
    const gsKey = key === GS || (e.ctrlKey && !e.altKey && !e.metaKey && (key === ']' || e.code === 'BracketRight'));
    const printable = gsKey || (key.length === 1 && !e.ctrlKey && !e.altKey && !e.metaKey);
    const ender = key === 'Enter' || (key === 'Tab' && this.buf !== '');

    if (this.held) {
      if (printable && now - this.held.at <= this.maxGapMs) {
        // The shortcut key began a barcode: it is data, and so is this.
        const h = this.held;
        clearTimeout(h.timer);
        this.held = null;
        this.buf = h.key;
        this.fast = true;
        this.last = h.at;
        this.snap = h.snap;
      } else if (!printable && !ender) {
        return; // Shift and the like
      } else {
        this.flushHeld();
      }
    }

    if (ender) {
      const burst = this.buf.length >= this.minLength && this.fast && gap <= this.maxGapMs;
      if (burst) {
        e.preventDefault();
        e.stopImmediatePropagation();
        const data = this.buf;
        const snap = this.snap;
        this.reset();
        this.restore(snap);
        let scanned = data;
        if (target === this.scanField) {
          // The box holds the burst, after what a person typed or the
          // first keys of a wedge that stalled; but when the focus came
          // to the box in the middle of the burst, only the burst's end:
          // then the burst is the scan.
          const box = this.scanField.value;
          scanned = box.endsWith(data) ? box : data;
          this.scanField.value = '';
        }
        this.onScan(scanned, target);
        return;
      }
      this.reset();
      return; // a person's Enter: the focused field handles it
    }
    if (!printable) return;

    const ch = gsKey ? GS : key;
    // Recomputed: a shortcut key taken as data above moved this.last.
    if (now - this.last > this.maxGapMs) {
      // The first key of what may be a burst.
      const sc = this.shortcuts[ch];
      if (sc && target === this.scanField && this.scanField.value === '' && this.canShortcut()) {
        // The key types itself into the box as usual; if nothing follows
        // soon, it was the shortcut: out of the box, and acted on.
        const snap = this.snapshot(target);
        this.reset();
        this.held = {
          key: ch, at: now, target, snap,
          timer: setTimeout(() => {
            if (this.held && this.held.key === ch && this.held.at === now) {
              this.held = null;
              if (this.scanField.value === ch) {
                this.scanField.value = '';
                sc();
              }
            }
          }, this.maxGapMs + 10),
        };
        return;
      }
      this.snap = this.snapshot(target);
      this.buf = ch;
      this.fast = true;
    } else {
      this.buf += ch;
    }
    this.last = now;
    if (gsKey) {
      // The control character does not type itself: put it in the field.
      e.preventDefault();
      e.stopImmediatePropagation();
      this.insert(target, GS);
    }
  }
}
