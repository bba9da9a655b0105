package carrier

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pickwave/pickwave"
)

const testToken = "s3cret-token"

// carrierServer is a carrier speaking HTTP's protocol; handle answers
// POST /shipments after the request has been checked.
func carrierServer(t *testing.T, handle http.HandlerFunc) *HTTP {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Authorization") != "Bearer "+testToken || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, `{"message":"bad request line or headers"}`, http.StatusBadRequest)
			return
		}
		handle(w, r)
	}))
	t.Cleanup(srv.Close)
	return &HTTP{Name: "acme", Endpoint: srv.URL, Token: testToken, Timeout: 5 * time.Second, MaxBody: 64 << 10}
}

func answer(v any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req pickwave.ShipmentRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || r.URL.Path != "/shipments" || req.ShipTo.City != "York" || req.Parcels[0].WeightGrams != 1250 {
			http.Error(w, `{"message":"unexpected request"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(v); err != nil {
			panic(err)
		}
	}
}

func TestHTTP_CreateShipment(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\nnot really")
	tests := []struct {
		name   string
		answer map[string]string
		want   *pickwave.Label
	}{
		{"ZPL label", map[string]string{"tracking_number": "1Z999AA10123456784", "label_format": "zpl", "label": "^XA^FDhi^FS^XZ"},
			&pickwave.Label{Format: pickwave.LabelZPL, Data: []byte("^XA^FDhi^FS^XZ")}},
		{"PNG label", map[string]string{"tracking_number": "1Z999AA10123456784", "label_format": "png", "label": base64.StdEncoding.EncodeToString(png)},
			&pickwave.Label{Format: pickwave.LabelPNG, Data: png}},
		{"no label", map[string]string{"tracking_number": "1Z999AA10123456784"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := carrierServer(t, answer(tt.answer))
			s, err := h.CreateShipment(context.Background(), shipmentRequest())
			if err != nil {
				t.Fatal(err)
			}
			if s.TrackingNumber != "1Z999AA10123456784" || s.Carrier != "acme" {
				t.Fatalf("shipment %+v", s)
			}
			if (s.Label == nil) != (tt.want == nil) || s.Label != nil && (s.Label.Format != tt.want.Format || string(s.Label.Data) != string(tt.want.Data)) {
				t.Fatalf("label %+v, want %+v", s.Label, tt.want)
			}
		})
	}
}

func TestHTTP_Failures(t *testing.T) {
	tests := []struct {
		name     string
		handle   http.HandlerFunc
		timeout  time.Duration
		wantCode string
		wantMsg  string
	}{
		{name: "500", handle: func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "boom", http.StatusInternalServerError)
		}, wantCode: pickwave.EUNAVAILABLE, wantMsg: "HTTP 500"},
		{name: "503", handle: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusServiceUnavailable)
		}, wantCode: pickwave.EUNAVAILABLE},
		{name: "429", handle: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusTooManyRequests)
		}, wantCode: pickwave.EUNAVAILABLE},
		{name: "400 with a message", handle: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"message":"Postal code YO1 7HH does not match York.\n"}`))
		}, wantCode: pickwave.EINVALID, wantMsg: "Carrier acme refused: Postal code YO1 7HH does not match York."},
		{name: "422 with an error field", handle: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnprocessableEntity)
			w.Write([]byte(`{"error":"parcel too heavy"}`))
		}, wantCode: pickwave.EINVALID, wantMsg: "parcel too heavy"},
		{name: "404 without JSON", handle: func(w http.ResponseWriter, r *http.Request) {
			http.NotFound(w, r)
		}, wantCode: pickwave.EINVALID, wantMsg: "HTTP 404 Not Found."},
		{name: "garbage JSON", handle: func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"tracking_number": `))
		}, wantCode: pickwave.EUNAVAILABLE, wantMsg: "not the expected JSON"},
		{name: "no tracking number", handle: func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"label_format":"zpl","label":"^XA^XZ"}`))
		}, wantCode: pickwave.EUNAVAILABLE, wantMsg: "no usable tracking number"},
		{name: "unknown label format", handle: func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"tracking_number":"X1","label_format":"pdf","label":"JVBER"}`))
		}, wantCode: pickwave.EUNAVAILABLE, wantMsg: "unknown label format"},
		{name: "PNG not base64", handle: func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"tracking_number":"X1","label_format":"png","label":"%%%"}`))
		}, wantCode: pickwave.EUNAVAILABLE, wantMsg: "not base64"},
		{name: "oversized body", handle: func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"tracking_number":"X1","label_format":"zpl","label":"`))
			w.Write([]byte(strings.Repeat("A", 1<<20)))
			w.Write([]byte(`"}`))
		}, wantCode: pickwave.EUNAVAILABLE, wantMsg: "longer than 65536 bytes"},
		{name: "timeout", timeout: 50 * time.Millisecond, handle: func(w http.ResponseWriter, r *http.Request) {
			// Read the request, so the server watches the connection and
			// ends the context when the client gives up.
			io.Copy(io.Discard, r.Body)
			<-r.Context().Done()
		}, wantCode: pickwave.EUNAVAILABLE, wantMsg: "did not answer in time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := carrierServer(t, tt.handle)
			if tt.timeout > 0 {
				h.Timeout = tt.timeout
			}
			s, err := h.CreateShipment(context.Background(), shipmentRequest())
			if code := pickwave.ErrorCode(err); code != tt.wantCode {
				t.Fatalf("CreateShipment = %+v, %v; want code %s", s, err, tt.wantCode)
			}
			if msg := pickwave.ErrorMessage(err); !strings.Contains(msg, tt.wantMsg) {
				t.Fatalf("message %q, want it to contain %q", msg, tt.wantMsg)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Fatalf("error shows the token: %v", err)
			}
		})
	}
}

func TestHTTP_ConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	h := &HTTP{Name: "acme", Endpoint: url, Token: testToken}
	_, err := h.CreateShipment(context.Background(), shipmentRequest())
	if pickwave.ErrorCode(err) != pickwave.EUNAVAILABLE || strings.Contains(err.Error(), testToken) {
		t.Fatalf("refused connection: %v", err)
	}
}

func TestHTTP_CallerCancels(t *testing.T) {
	h := carrierServer(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.CreateShipment(ctx, shipmentRequest()); pickwave.ErrorCode(err) != pickwave.EUNAVAILABLE {
		t.Fatalf("cancelled call: %v", err)
	}
}

func TestHTTP_InvalidRequestNotSent(t *testing.T) {
	h := carrierServer(t, func(w http.ResponseWriter, r *http.Request) {
		t.Error("an invalid request reached the carrier")
	})
	req := shipmentRequest()
	req.Parcels = nil
	if _, err := h.CreateShipment(context.Background(), req); pickwave.ErrorCode(err) != pickwave.EINVALID {
		t.Fatalf("invalid request: %v", err)
	}
}

func TestHTTP_RateVoidManifest(t *testing.T) {
	h := carrierServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/rates":
			w.Write([]byte(`{"rates":[{"service":"express","amount":1299,"currency":"GBP","transit_days":1}]}`))
		case "/void":
			var in struct {
				TrackingNumber string `json:"tracking_number"`
			}
			if json.NewDecoder(r.Body).Decode(&in) != nil || in.TrackingNumber != "X1" {
				w.WriteHeader(http.StatusBadRequest)
				w.Write([]byte(`{"message":"label already scanned"}`))
			}
		case "/manifests":
			w.Write([]byte(`{"id":"M-7","tracking_numbers":["X1"]}`))
		default:
			http.NotFound(w, r)
		}
	})
	ctx := context.Background()
	rates, err := h.Rate(ctx, shipmentRequest())
	if err != nil || len(rates) != 1 || rates[0].Carrier != "acme" || rates[0].Amount != 1299 {
		t.Fatalf("rates %+v, %v", rates, err)
	}
	if err := h.Void(ctx, "X1"); err != nil {
		t.Fatal(err)
	}
	if err := h.Void(ctx, "X2"); pickwave.ErrorCode(err) != pickwave.EINVALID || !strings.Contains(pickwave.ErrorMessage(err), "already scanned") {
		t.Fatalf("refused void: %v", err)
	}
	m, err := h.CloseManifest(ctx, &pickwave.ManifestRequest{Date: time.Now(), TrackingNumbers: []string{"X1"}})
	if err != nil || m.ID != "M-7" {
		t.Fatalf("manifest %+v, %v", m, err)
	}
}
