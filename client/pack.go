package client

import (
	"context"

	"github.com/pickwave/pickwave"
)

// PackService works a pack station's bench over the API, as the packer
// signed in there: sign in, scan totes, orders and items, put an order
// aside. The weight check and the label need no call: the station's
// scale decides them (see docs/protocol.md).
type PackService struct{ c *Client }

func (s *PackService) session(ctx context.Context, method, station, action string) (*pickwave.PackSession, error) {
	path := "/api/v1/stations/" + seg(station) + "/pack"
	if action != "" {
		path += "/" + action
	}
	var ps pickwave.PackSession
	if err := s.c.do(ctx, call{method: method, path: path, out: &ps}); err != nil {
		return nil, err
	}
	return &ps, nil
}

// Session returns the station's pack session; ENOTFOUND.
func (s *PackService) Session(ctx context.Context, station string) (*pickwave.PackSession, error) {
	return s.session(ctx, "GET", station, "")
}

// SignIn signs the client's user in at the station; ECONFLICT while
// another packer has an order on the bench.
func (s *PackService) SignIn(ctx context.Context, station string) (*pickwave.PackSession, error) {
	return s.session(ctx, "POST", station, "sign-in")
}

// SignOut signs the station's packer out.
func (s *PackService) SignOut(ctx context.Context, station string) (*pickwave.PackSession, error) {
	return s.session(ctx, "POST", station, "sign-out")
}

// SetAside takes the order off the bench, to be packed later.
func (s *PackService) SetAside(ctx context.Context, station string) (*pickwave.PackSession, error) {
	return s.session(ctx, "POST", station, "set-aside")
}

// Scan judges one scan at the station, as its scanner's would be: a tote,
// an order or an item. A retried id is answered with its first verdict.
func (s *PackService) Scan(ctx context.Context, station string, req pickwave.PackScanRequest) (*pickwave.PackScanResult, error) {
	var res pickwave.PackScanResult
	if err := s.c.do(ctx, call{method: "POST", path: "/api/v1/stations/" + seg(station) + "/pack/scan", in: req, out: &res}); err != nil {
		return nil, err
	}
	return &res, nil
}
