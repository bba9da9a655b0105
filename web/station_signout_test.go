package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/demo"
	"github.com/pickwave/pickwave/internal/browsertest"
)

// TestPages_packStationSignedOut: a supervisor signs a pack station's
// browser out from the device list. Its socket is closed with 4003, and
// the page shows the login at once, saying the session ended, without
// trying the dead token again; the packer logs in and the station is
// live again.
func TestPages_packStationSignedOut(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a real browser")
	}
	execPath := browsertest.Path(t)
	f := newFloor(t, []string{"packer"}, true)
	ctx := context.Background()
	sup, err := f.db.MintToken(ctx, "sue", pickwave.RoleSupervisor, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	b := browsertest.New(t, execPath)
	b.InstallScript("count the sockets opened", `(() => {
		window.__sockets = 0;
		const WS = window.WebSocket;
		window.WebSocket = class extends WS { constructor(...a) { super(...a); window.__sockets++; } };
	})()`)
	logIn := func() {
		t.Helper()
		b.Do("log in and open the station",
			chromedp.WaitVisible(chromedp.CSS("#login-username")),
			chromedp.SendKeys(chromedp.CSS("#login-username"), "packer"),
			chromedp.SendKeys(chromedp.CSS("#login-password"), demo.Password+"\n"),
			chromedp.WaitVisible(chromedp.CSS(`#pick-list[data-state="ready"] a[data-id="`+floorStation+`"]`)),
			chromedp.Click(chromedp.CSS(`#pick-list a[data-id="`+floorStation+`"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#st-live[data-state="live"]`)),
		)
	}
	b.Do("open the station page", chromedp.Navigate(f.url+"/station.html"))
	logIn()

	call := func(method, path string, out any) int {
		t.Helper()
		req, _ := http.NewRequest(method, f.url+"/api/v1"+path, nil)
		req.Header.Set("Authorization", "Bearer "+sup)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if out != nil {
			if err := json.NewDecoder(res.Body).Decode(out); err != nil {
				t.Fatal(err)
			}
		}
		return res.StatusCode
	}
	var list struct {
		Items []struct {
			ID, Kind, User, Station string
		}
	}
	if code := call("GET", "/devices", &list); code != 200 {
		t.Fatalf("devices: %d", code)
	}
	id := ""
	for _, d := range list.Items {
		if d.Kind == "station" && d.User == "packer" && d.Station == floorStation {
			id = d.ID
		}
	}
	if id == "" {
		t.Fatalf("the station's socket is not listed: %+v", list.Items)
	}
	opened := browsertest.Eval[int](b, `window.__sockets`)
	if code := call("POST", "/devices/"+id+"/logout", nil); code != 200 {
		t.Fatalf("force logout: %d", code)
	}
	b.Do("the login, at once", chromedp.WaitVisible(chromedp.CSS("#login-username")))
	if got := b.Text("#login-error"); got != "Your session has ended. Log in again." {
		t.Errorf("the login says %q", got)
	}
	time.Sleep(1500 * time.Millisecond) // longer than the first reconnect delay
	if got := browsertest.Eval[int](b, `window.__sockets`); got != opened {
		t.Errorf("the signed-out page opened %d more sockets", got-opened)
	}
	if !browsertest.Eval[bool](b, `document.getElementById('view-station').hidden`) {
		t.Error("the station view is still shown")
	}
	// The packer logs in again: back on the station, live.
	b.Fill("#login-username", "packer")
	b.Fill("#login-password", demo.Password+"\n")
	b.WaitFor("the station live again", `!document.getElementById('view-station').hidden && document.getElementById('st-live').dataset.state === 'live'`)
	b.CheckConsole()
}
