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

// Camera reads one barcode from the back camera into a <video>.
export class Camera {
  constructor(video, fmts) {
    this.video = video;
    this.formats = fmts;
    this.stream = null;
    this.timer = 0;
    this.stopped = true;
  }

  // start opens the camera and calls onCode(rawValue) with the first
  // barcode read, after which the camera is closed. It rejects when the
  // camera cannot be opened (no permission, no camera).
  async start(onCode) {
    this.stop();
    this.stopped = false;
    const detector = new self.BarcodeDetector({ formats: this.formats });
    this.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
    if (this.stopped) {
      this.stop();
      return;
    }
    this.video.srcObject = this.stream;
    await this.video.play().catch(() => {});
    const tick = async () => {
      if (this.stopped) return;
      try {
        const found = await detector.detect(this.video);
        const code = found.find((b) => b && typeof b.rawValue === 'string' && b.rawValue !== '');
        if (code && !this.stopped) {
          this.stop();
          onCode(code.rawValue);
          return;
        }
      } catch (err) {
        // A frame not ready yet: try the next one.
      }
      if (!this.stopped) this.timer = setTimeout(tick, SCAN_EVERY_MS);
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
