// Pickwave handheld camera scanning, through the browser's own
// BarcodeDetector (Shape Detection API: Chrome on Android and ChromeOS,
// Safari 17+ on some devices). Where the browser has none, or it reads
// none of the formats a warehouse labels with, the page hides the camera
// button: no library is shipped to decode images in JavaScript, since the
// handhelds Pickwave targets have a real scanner and the camera is for a
// phone borrowed on a busy day.
'use strict';

// FORMATS are the symbologies on warehouse labels and products: GS1-128
// and Code 128 (locations, totes, cases), EAN/UPC (units), GS1 DataMatrix
// (pharma, serialised goods), QR (GS1 Digital Link), Code 39 and ITF-14.
const FORMATS = ['code_128', 'ean_13', 'ean_8', 'upc_a', 'upc_e', 'data_matrix', 'qr_code', 'code_39', 'itf'];

const SCAN_EVERY_MS = 150;

// GONE_FRAMES is how many frames in a row a code must be out of view
// before it is read again: a label held in front of the lens for a
// second is one scan, not seven, while a second unit shown after the
// first was taken away is a second scan. At SCAN_EVERY_MS that is about
// half a second, longer than a frame the detector misses on a shaky hand.
const GONE_FRAMES = 3;

// formats resolves to the FORMATS this browser can read; [] when it has
// no BarcodeDetector or no camera API.
export async function formats() {
  if (!('BarcodeDetector' in self) || !navigator.mediaDevices || typeof navigator.mediaDevices.getUserMedia !== 'function') return [];
  try {
    const have = await self.BarcodeDetector.getSupportedFormats();
    return FORMATS.filter((f) => have.includes(f));
  } catch (err) {
    return [];
  }
}

// Camera reads barcodes from the back camera into a <video> until it is
// stopped, as a scanner does: the picker keeps it open for the location,
// the items and the tote.
export class Camera {
  constructor(video, fmts) {
    this.video = video;
    this.formats = fmts;
    this.stream = null;
    this.timer = 0;
    this.stopped = true;
  }

  // start opens the camera and calls onCode(rawValue) for each barcode
  // that comes into view: once while it stays in view, again only after
  // it has been out of view for GONE_FRAMES frames. When one frame shows
  // several new codes, the first is read and the rest count as seen (a
  // picker aims at one label). It rejects when the camera cannot be
  // opened (no permission, no camera).
  async start(onCode) {
    this.stop();
    this.stopped = false;
    const detector = new self.BarcodeDetector({ formats: this.formats });
    const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
    if (this.stopped) {
      for (const t of stream.getTracks()) t.stop();
      return;
    }
    this.stream = stream;
    this.video.srcObject = stream;
    await this.video.play().catch(() => {});
    const inView = new Map(); // code -> frames since it was last seen
    const tick = async () => {
      if (this.stopped || this.stream !== stream) return;
      let codes = [];
      try {
        const found = await detector.detect(this.video);
        codes = found.filter((b) => b && typeof b.rawValue === 'string' && b.rawValue !== '').map((b) => b.rawValue);
      } catch (err) {
        // A frame not ready yet: try the next one.
      }
      if (this.stopped || this.stream !== stream) return;
      for (const [code, gone] of inView) {
        if (codes.includes(code)) continue;
        if (gone + 1 >= GONE_FRAMES) inView.delete(code);
        else inView.set(code, gone + 1);
      }
      const fresh = codes.find((c) => !inView.has(c));
      for (const c of codes) inView.set(c, 0);
      if (fresh !== undefined) onCode(fresh);
      this.timer = setTimeout(tick, SCAN_EVERY_MS);
    };
    tick();
  }

  // stop closes the camera.
  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.stream) {
      for (const t of this.stream.getTracks()) t.stop();
      this.stream = null;
    }
    this.video.srcObject = null;
  }
}
