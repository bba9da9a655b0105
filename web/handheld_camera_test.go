package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/demo"
	"github.com/pickwave/pickwave/internal/browsertest"
)

// fakeCameraJS stands in for what headless Chromium on Linux lacks: a
// BarcodeDetector (its detect answers with the frames the test queues in
// window.__cam.frames, one frame a call, nothing when the queue is empty)
// and a camera (getUserMedia answers with a canvas's captureStream, a
// real MediaStream whose tracks can be stopped). It also records the scan
// messages the page sends on its socket. formats is what
// getSupportedFormats answers.
func fakeCameraJS(formats string) string {
	return `(() => {
	const cam = window.__cam = {frames: [], detects: 0, streams: [], sent: [], asked: false, constraints: null};
	window.BarcodeDetector = class BarcodeDetector {
		constructor(opts) { cam.formats = (opts || {}).formats || []; }
		static async getSupportedFormats() { cam.asked = true; return ` + formats + `; }
		async detect(source) {
			if (!(source instanceof HTMLVideoElement)) throw new TypeError('not a video');
			cam.detects++;
			const frame = cam.frames.shift() || [];
			return frame.map((rawValue) => ({rawValue, format: 'code_128', boundingBox: new DOMRect(0, 0, 100, 40), cornerPoints: []}));
		}
	};
	navigator.mediaDevices.getUserMedia = async (constraints) => {
		cam.constraints = constraints;
		const canvas = document.createElement('canvas');
		canvas.width = 320;
		canvas.height = 240;
		const g = canvas.getContext('2d');
		g.fillStyle = '#ffffff';
		g.fillRect(0, 0, 320, 240);
		const stream = canvas.captureStream(10);
		cam.streams.push(stream);
		return stream;
	};
	const send = WebSocket.prototype.send;
	WebSocket.prototype.send = function (data) {
		try {
			const m = JSON.parse(data);
			if (m.type === 'scan') cam.sent.push({id: m.id, data: m.data});
		} catch (err) {}
		return send.call(this, data);
	};
})()`
}

type camSent struct {
	ID   string `json:"id"`
	Data string `json:"data"`
}

// cameraScan shows code to b's fake camera in three consecutive frames,
// after frames without it, and waits until every frame was read and the
// answer is shown. It returns the scans the page sent for those frames.
func cameraScan(t *testing.T, b *browsertest.Browser, code string) []camSent {
	t.Helper()
	before := b.Handheld().Seq
	sent := browsertest.Eval[int](b, `window.__cam.sent.length`)
	frames, _ := json.Marshal([][]string{{}, {}, {}, {code}, {code}, {code}})
	detects := browsertest.Eval[int](b, fmt.Sprintf(`window.__cam.detects + %d`, 6+1))
	browsertest.Eval[chromedp.Void](b, fmt.Sprintf(`window.__cam.frames.push(...%s)`, frames))
	b.WaitFor("the camera to read "+code, fmt.Sprintf(`window.__cam.frames.length === 0 && window.__cam.detects >= %d`, detects))
	b.WaitFor("the answer to the camera's "+code, fmt.Sprintf(`Number(document.body.dataset.seq) > %d && document.body.dataset.pending === '0'`, before))
	return browsertest.Eval[[]camSent](b, fmt.Sprintf(`window.__cam.sent.slice(%d)`, sent))
}

// TestPages_handheldCameraScans picks a task with the phone's camera
// (a fake BarcodeDetector and camera, see fakeCameraJS): every scan goes
// to the server as a wedge scan does, with its own id, and is judged
// once; a code held in view for three frames is sent once, and a second
// unit shown after the first left the view is a second scan; closing the
// camera stops the stream's tracks. Without a BarcodeDetector, or with
// one that reads none of the warehouse's formats, there is no camera
// button.
func TestPages_handheldCameraScans(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a real browser")
	}
	execPath := browsertest.Path(t)
	f := newFloor(t, []string{"picker1"}, false)
	ctx := context.Background()
	root := browsertest.New(t, execPath)
	start := time.Now()
	defer func() { t.Logf("browser steps took %v", time.Since(start).Round(time.Millisecond)) }()

	// No detector (headless Chromium on Linux has none), or one that
	// reads no warehouse format: no camera button.
	plain, closePlain := root.Tab()
	plain.Do("open the handheld page without a detector", chromedp.Navigate(f.url+"/handheld.html"))
	plain.WaitFor("the page ready", `document.body.dataset.ready === '1'`)
	if browsertest.Eval[bool](plain, `'BarcodeDetector' in window`) {
		t.Log("this Chromium has a BarcodeDetector: the no-detector case is not checked")
	} else if !browsertest.Eval[bool](plain, `document.getElementById('hh-camera-open').hidden`) {
		t.Error("without a BarcodeDetector the camera button is shown")
	}
	closePlain()
	aztec, closeAztec := root.Tab()
	aztec.InstallScript("a detector for aztec codes only", fakeCameraJS(`['aztec', 'pdf417']`))
	aztec.Do("open the handheld page", chromedp.Navigate(f.url+"/handheld.html"))
	aztec.WaitFor("the formats asked", `window.__cam.asked && document.body.dataset.ready === '1'`)
	if !browsertest.Eval[bool](aztec, `new Promise((r) => setTimeout(() => r(document.getElementById('hh-camera-open').hidden), 100))`, chromedp.EvalAwaitPromise) {
		t.Error("a detector that reads no warehouse format shows the camera button")
	}
	closeAztec()

	b, closeTab := root.Tab()
	defer closeTab()
	b.InstallScript("a fake camera", fakeCameraJS(`['code_128', 'ean_13', 'qr_code', 'aztec']`))
	b.Do("phone screen", chromedp.EmulateViewport(360, 640, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	b.Do("open the handheld page",
		chromedp.Navigate(f.url+"/handheld.html"),
		chromedp.WaitVisible(chromedp.CSS(`#hh-conn[data-state="online"]`)),
		chromedp.WaitVisible(chromedp.CSS("#hh-camera-open")),
	)
	b.Wedge(demo.Badge([]byte("test badges"), "picker1"))
	b.Do("take a cart", chromedp.WaitVisible(chromedp.CSS("#hh-take")), chromedp.Click(chromedp.CSS("#hh-take")),
		chromedp.WaitVisible(chromedp.CSS(`#hh-pick[data-step="bind_tote"]`)))

	b.Do("open the camera", chromedp.Click(chromedp.CSS("#hh-camera-open")), chromedp.WaitVisible(chromedp.CSS("#hh-camera")))
	b.WaitFor("the stream on the video", `document.getElementById('hh-camera-video').srcObject === window.__cam.streams[0]`)
	if got := browsertest.Eval[[]string](b, `window.__cam.formats`); len(got) != 3 || got[0] != "code_128" {
		t.Errorf("the detector reads %v, want the warehouse formats it has: code_128, ean_13, qr_code", got)
	}
	if browsertest.Eval[string](b, `window.__cam.constraints.video.facingMode`) != "environment" {
		t.Error("the camera asked for is not the back one")
	}
	// At 360 px the camera's view and its close button are on screen,
	// clear of the scan bar.
	for _, sel := range []string{"#hh-camera-video", "#hh-camera-close"} {
		if !b.Unobscured(sel) {
			t.Errorf("with the camera open, %s is off screen or under the scan bar", sel)
		}
	}
	b.SaveShot("handheld-camera.png")

	// Every step of the cart's first task, through the camera only.
	var ids []string
	var task string
	s := b.Handheld()
	for n := 0; ; n++ {
		if n > 60 {
			t.Fatal("the first task never ends")
		}
		if s.Step == "location" && task == "" {
			task = s.Task
		}
		code := f.rightScan(s)
		sent := cameraScan(t, b, code)
		if len(sent) != 1 || sent[0].Data != code || sent[0].ID == "" {
			t.Fatalf("showing %s for three frames sent %+v, want it once with an id", code, sent)
		}
		ids = append(ids, sent[0].ID)
		if c, msg := b.Verdict(); c != pickwave.VerdictOK {
			t.Fatalf("camera scan %s at %+v: %s %q", code, s, c, msg)
		}
		if !browsertest.Eval[bool](b, `!document.getElementById('hh-camera').hidden && window.__cam.streams.length === 1`) {
			t.Fatal("the camera closed or reopened after a read")
		}
		if task != "" {
			if tk, err := f.db.Task(ctx, task); err != nil {
				t.Fatal(err)
			} else if tk.Status == pickwave.TaskPicked {
				if tk.Picked != tk.Qty {
					t.Fatalf("the task picked by camera: %+v", tk)
				}
				break
			}
		}
		s = b.Handheld()
	}

	// Each scan the camera sent was judged by the server once, by its id.
	events, err := f.db.Events(ctx, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	judged := map[string]int{}
	for _, e := range events {
		if e.Type != pickwave.EventScanJudged {
			continue
		}
		var p struct {
			ScanID string `json:"scan_id"`
		}
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			t.Fatal(err)
		}
		judged[p.ScanID]++
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] || judged[id] != 1 {
			t.Errorf("camera scan %s: repeated id %v, judged %d times", id, seen[id], judged[id])
		}
		seen[id] = true
	}

	// Closing the camera ends the stream's tracks and frees the video.
	b.Do("close the camera", chromedp.Click(chromedp.CSS("#hh-camera-close")), chromedp.WaitNotVisible(chromedp.CSS("#hh-camera")))
	if !browsertest.Eval[bool](b, `window.__cam.streams.every((s) => s.getTracks().length > 0 && s.getTracks().every((t) => t.readyState === 'ended')) && document.getElementById('hh-camera-video').srcObject === null`) {
		t.Error("closing the camera left its tracks live")
	}
	// Closed, it reads nothing more.
	detects := browsertest.Eval[int](b, `window.__cam.detects`)
	browsertest.Eval[chromedp.Void](b, `window.__cam.frames.push(['TOTE-1'])`)
	time.Sleep(500 * time.Millisecond)
	if got := browsertest.Eval[int](b, `window.__cam.detects`); got != detects {
		t.Errorf("the closed camera read %d more frames", got-detects)
	}
	b.CheckConsole()
	t.Logf("%d camera scans, each judged once", len(ids))
}
