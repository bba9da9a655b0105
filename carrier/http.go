package carrier

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/pickwave/pickwave"
)

// Defaults of HTTP's zero values.
const (
	DefaultHTTPTimeout = 30 * time.Second
	DefaultMaxBody     = 4 << 20 // a ZPL or PNG label is well under 1 MiB
	maxMessageLen      = 300     // of a remote error message shown to a person
)

// HTTP is a carrier reached over HTTP. Every call POSTs JSON to a path
// under Endpoint and reads a JSON answer:
//
//	POST {Endpoint}/rates      pickwave.ShipmentRequest  → {"rates": [pickwave.Rate...]}
//	POST {Endpoint}/shipments  pickwave.ShipmentRequest  → {"tracking_number", "tracking_url", "service", "label_format", "label"}
//	POST {Endpoint}/void       {"tracking_number"}       → any 2xx
//	POST {Endpoint}/manifests  pickwave.ManifestRequest  → pickwave.Manifest
//
// A shipment's "label" is ZPL text when "label_format" is "zpl" and base64
// when it is "png". A refusal is a 4xx with {"message": "..."} (or
// {"error": "..."}), shown to the user as the carrier's words.
type HTTP struct {
	// Name is the carrier's name in rates and shipments (required).
	Name string
	// Endpoint is the base URL, without a trailing slash (required).
	Endpoint string
	// Token, when set, is sent as "Authorization: Bearer <Token>". It
	// never appears in errors or logs.
	Token string
	// Timeout bounds each call, on top of the caller's context; zero:
	// DefaultHTTPTimeout.
	Timeout time.Duration
	// MaxBody bounds the answer read; a longer one is refused with
	// EUNAVAILABLE. Zero: DefaultMaxBody.
	MaxBody int64
	// Client sends the requests; nil: http.DefaultClient. Its own
	// Timeout, if any, also applies.
	Client *http.Client
}

var _ pickwave.Carrier = (*HTTP)(nil)

// Rate asks the carrier for its services. Codes: see pickwave.Carrier.
func (h *HTTP) Rate(ctx context.Context, req *pickwave.ShipmentRequest) ([]pickwave.Rate, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	var out struct {
		Rates []pickwave.Rate `json:"rates"`
	}
	if err := h.post(ctx, "/rates", req, &out); err != nil {
		return nil, err
	}
	for i := range out.Rates {
		if out.Rates[i].Carrier == "" {
			out.Rates[i].Carrier = h.Name
		}
	}
	return out.Rates, nil
}

// shipmentAnswer is the carrier's answer to a new shipment.
type shipmentAnswer struct {
	TrackingNumber string               `json:"tracking_number"`
	TrackingURL    string               `json:"tracking_url"`
	Service        string               `json:"service"`
	LabelFormat    pickwave.LabelFormat `json:"label_format"`
	Label          string               `json:"label"`
}

// CreateShipment books the shipment with the carrier. Codes: see
// pickwave.Carrier; an answer without a tracking number, with an
// unknown label format or an undecodable PNG is EUNAVAILABLE.
func (h *HTTP) CreateShipment(ctx context.Context, req *pickwave.ShipmentRequest) (*pickwave.Shipment, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	var out shipmentAnswer
	if err := h.post(ctx, "/shipments", req, &out); err != nil {
		return nil, err
	}
	if out.TrackingNumber == "" || len(out.TrackingNumber) > 64 || hasControl(out.TrackingNumber) {
		return nil, h.unreadable("the answer has no usable tracking number")
	}
	s := &pickwave.Shipment{
		Carrier: h.Name, Service: out.Service, TrackingNumber: out.TrackingNumber,
		TrackingURL: out.TrackingURL,
	}
	if s.Service == "" {
		s.Service = req.Service
	}
	switch {
	case out.Label == "" && out.LabelFormat == "":
	case out.LabelFormat == pickwave.LabelZPL:
		s.Label = &pickwave.Label{Format: pickwave.LabelZPL, Data: []byte(out.Label)}
	case out.LabelFormat == pickwave.LabelPNG:
		data, err := base64.StdEncoding.DecodeString(out.Label)
		if err != nil {
			return nil, h.unreadable("the PNG label is not base64")
		}
		s.Label = &pickwave.Label{Format: pickwave.LabelPNG, Data: data}
	default:
		return nil, h.unreadable(fmt.Sprintf("unknown label format %s", quote(string(out.LabelFormat))))
	}
	return s, nil
}

// Void asks the carrier to take the label back. Codes: see
// pickwave.Carrier.
func (h *HTTP) Void(ctx context.Context, trackingNumber string) error {
	if trackingNumber == "" || len(trackingNumber) > 64 || hasControl(trackingNumber) {
		return pickwave.Errorf(pickwave.EINVALID, "%s is not a tracking number.", quote(trackingNumber))
	}
	return h.post(ctx, "/void", map[string]string{"tracking_number": trackingNumber}, nil)
}

// CloseManifest asks the carrier to close the manifest. Codes: see
// pickwave.Carrier.
func (h *HTTP) CloseManifest(ctx context.Context, req *pickwave.ManifestRequest) (*pickwave.Manifest, error) {
	if len(req.TrackingNumbers) == 0 || len(req.TrackingNumbers) > pickwave.MaxManifestItems {
		return nil, pickwave.Errorf(pickwave.EINVALID, "A manifest lists 1 to %d shipments.", pickwave.MaxManifestItems)
	}
	var out pickwave.Manifest
	if err := h.post(ctx, "/manifests", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// post sends in as JSON to path and decodes a 2xx answer into out (nil:
// the body is ignored). Every error carries a pickwave code.
func (h *HTTP) post(ctx context.Context, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("carrier %s: encode request: %w", h.Name, err)
	}
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = DefaultHTTPTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(h.Endpoint, "/")+path, bytes.NewReader(body))
	if err != nil {
		// The message of a bad URL may hold the URL; keep it out.
		return pickwave.Errorf(pickwave.EINVALID, "Carrier %s has an unusable endpoint.", h.Name)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if h.Token != "" {
		req.Header.Set("Authorization", "Bearer "+h.Token)
	}
	client := h.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		reason := "could not be reached"
		var ne net.Error
		if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
			reason = "did not answer in time"
		} else if errors.Is(err, context.Canceled) {
			reason = "was not waited for: the request was cancelled"
		}
		// err names the URL (net/http strips any password) and the
		// network error; it never holds the request's headers.
		return fmt.Errorf("carrier %s: %w: %w", h.Name, pickwave.Errorf(pickwave.EUNAVAILABLE, "Carrier %s %s.", h.Name, reason), err)
	}
	defer resp.Body.Close()
	limit := h.MaxBody
	if limit <= 0 {
		limit = DefaultMaxBody
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return fmt.Errorf("carrier %s: read answer: %w: %w", h.Name, pickwave.Errorf(pickwave.EUNAVAILABLE, "Carrier %s broke off its answer.", h.Name), err)
	}
	if int64(len(data)) > limit {
		return h.unreadable(fmt.Sprintf("the answer is longer than %d bytes", limit))
	}
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		return pickwave.Errorf(pickwave.EUNAVAILABLE, "Carrier %s failed (HTTP %d).", h.Name, code)
	default:
		return pickwave.Errorf(pickwave.EINVALID, "Carrier %s refused: %s", h.Name, remoteMessage(code, data))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%w: %w", h.unreadable("the answer is not the expected JSON"), err)
	}
	return nil
}

// unreadable is the error for an answer Pickwave cannot use.
func (h *HTTP) unreadable(why string) error {
	return pickwave.Errorf(pickwave.EUNAVAILABLE, "Carrier %s answered with something unusable: %s.", h.Name, why)
}

// remoteMessage is the carrier's explanation of a refusal, from its
// JSON {"message"} or {"error"}, else its status; cut to maxMessageLen
// and stripped of control characters.
func remoteMessage(code int, data []byte) string {
	var body struct {
		Message string `json:"message"`
		Error   string `json:"error"`
	}
	if err := json.Unmarshal(data, &body); err != nil {
		// Not JSON: fall back on the status.
		body.Message, body.Error = "", ""
	}
	msg := body.Message
	if msg == "" {
		msg = body.Error
	}
	msg = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, strings.TrimSpace(msg))
	if msg == "" {
		return fmt.Sprintf("HTTP %d %s.", code, http.StatusText(code))
	}
	if r := []rune(msg); len(r) > maxMessageLen {
		msg = string(r[:maxMessageLen]) + "…"
	}
	return msg
}
