package server_test

import (
	"bytes"
	"encoding/json"
	"image/png"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
)

func labelBody() map[string]any {
	return map[string]any{
		"ship_from":       pickwave.Address{Name: "Pickwave Fulfilment", Address1: "Unit 4", City: "Leeds", PostalCode: "LS11 5QR", Country: "GB"},
		"ship_to":         pickwave.Address{Name: "Zoë ^XZ~JA", Address1: "12 St James's Square", City: "London", PostalCode: "SW1Y 4LB", Country: "GB"},
		"carrier":         "Royal Mail",
		"service":         "Tracked 24",
		"tracking_number": "1Z999AA10123456784",
		"references":      []string{"SO-1042"},
		"weight_g":        1250,
		"dpi":             300,
		"package_number":  1,
		"package_count":   2,
		"date":            "2026-11-26",
		"sscc":            "106141411234567897",
	}
}

func TestRenderLabel(t *testing.T) {
	e := newEnv(t)
	packer, err := e.db.MintToken(t.Context(), "pat", pickwave.RolePacker, time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("zpl", func(t *testing.T) {
		r := e.json("POST", "/api/v1/labels/render", packer, labelBody())
		mustStatus(t, r, 200)
		zpl := string(r.body)
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/zpl") {
			t.Errorf("Content-Type %q", ct)
		}
		if !strings.HasPrefix(zpl, "^XA") || strings.Count(zpl, "^XA") != 1 || strings.Count(zpl, "^XZ") != 1 || strings.Contains(zpl, "~") {
			t.Fatalf("not one safe format:\n%s", zpl)
		}
		for _, want := range []string{"^PW1200", "^FDZo_C3_AB _5EXZ_7EJA^FS", "^FD1Z999AA10123456784^FS", "^FD(00)106141411234567897(420)SW1Y4LB^FS", "2026-11-26", "1.250 kg", "Package 1 of 2"} {
			if !strings.Contains(zpl, want) {
				t.Errorf("label lacks %q:\n%s", want, zpl)
			}
		}
	})

	t.Run("png", func(t *testing.T) {
		body := labelBody()
		body["dpi"] = 203
		data, _ := jsonBytes(body)
		r := e.doAccept("POST", "/api/v1/labels/render", packer, "image/png", data)
		mustStatus(t, r, 200)
		if ct := r.header.Get("Content-Type"); ct != "image/png" {
			t.Errorf("Content-Type %q", ct)
		}
		img, err := png.Decode(bytes.NewReader(r.body))
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != 812 || b.Dy() != 1218 {
			t.Fatalf("PNG is %v, want 812 × 1218", b)
		}
	})

	t.Run("invalid", func(t *testing.T) {
		body := labelBody()
		body["sscc"] = "106141411234567898"
		body["tracking_number"] = "1Z>^XZ"
		body["dpi"] = 600
		r := e.json("POST", "/api/v1/labels/render", packer, body)
		mustStatus(t, r, 400)
		var ae apiError
		r.decode(t, &ae)
		var fields []string
		for _, d := range ae.Error.Details {
			fields = append(fields, d.Field)
		}
		if got := strings.Join(fields, ","); got != "tracking_number,dpi,sscc" {
			t.Fatalf("fields %s: %s", got, r.body)
		}
		body = labelBody()
		body["date"] = "26/11/2026"
		mustStatus(t, e.json("POST", "/api/v1/labels/render", packer, body), 400)
		mustStatus(t, e.json("POST", "/api/v1/labels/render", packer, `{"colour":"red"}`), 400)
	})

	t.Run("picker is refused", func(t *testing.T) {
		mustStatus(t, e.json("POST", "/api/v1/labels/render", e.pick, labelBody()), 403)
	})
	t.Run("supervisor", func(t *testing.T) {
		mustStatus(t, e.json("POST", "/api/v1/labels/render", e.super, labelBody()), 200)
	})
}

func jsonBytes(v any) ([]byte, error) { return json.Marshal(v) }

// doAccept posts JSON data asking for the media type accept.
func (e *env) doAccept(method, path, token, accept string, data []byte) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(data))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", accept)
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, body: body, header: res.Header}
}
