package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/pickwave/pickwave"
	"github.com/pickwave/pickwave/gs1"
)

// Serial numbers for labels.
//
// An SSCC or a tracking number printed twice sends two parcels under one
// number, so each comes from a bucket sequence and is returned only after
// the transaction that advanced the sequence has been synced: a crash
// after that loses the number, never reissues it. Each kind has one
// sequence, shared by every company prefix and extension digit (SSCCs)
// or by every carrier (tracking serials): numbers are unique across them
// all, and one prefix's or carrier's numbers have gaps where another's
// were taken. A unit that fails rolls its sequence step back with it.

// NextSSCC returns a new SSCC-18 under the GS1 company prefix and the
// extension digit (0-9), its serial reference from the store's durable
// SSCC sequence. It returns EINVALID for a malformed prefix or extension,
// ECONFLICT when the sequence has outgrown the digits the prefix leaves
// (the prefix is used up: configure another extension digit or prefix),
// and EUNAVAILABLE while the store shuts down.
func (db *DB) NextSSCC(ctx context.Context, prefix string, extension byte) (string, error) {
	// Refuse a bad prefix before taking a number.
	if _, err := gs1.BuildSSCC(extension, prefix, 0); err != nil {
		return "", pickwave.Errorf(pickwave.EINVALID, "Cannot number SSCCs: %v.", err)
	}
	var sscc string
	err := db.update(ctx, func(t *txn) error {
		n, err := t.NextSeq(spaceSSCCSeq)
		if err != nil {
			return err
		}
		sscc, err = gs1.BuildSSCC(extension, prefix, n)
		if errors.Is(err, gs1.ErrLength) {
			return pickwave.Errorf(pickwave.ECONFLICT, "The SSCC serial references of company prefix %s and extension %d are used up (serial %d does not fit).", prefix, extension, n)
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("next SSCC: %w", err)
	}
	return sscc, nil
}

// NextTrackingSerial returns a new serial for the carrier's tracking
// numbers from the store's durable tracking sequence (starting at 1);
// carrier.Local makes S10 numbers of it. It returns EINVALID for an empty
// or overlong carrier name and EUNAVAILABLE while the store shuts down.
func (db *DB) NextTrackingSerial(ctx context.Context, carrier string) (uint64, error) {
	if carrier == "" || len(carrier) > pickwave.MaxNameLen {
		return 0, pickwave.Errorf(pickwave.EINVALID, "A tracking serial needs a carrier name of 1 to %d characters.", pickwave.MaxNameLen)
	}
	var n uint64
	err := db.update(ctx, func(t *txn) error {
		var err error
		n, err = t.NextSeq(spaceTrackSeq)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("next tracking serial for %s: %w", carrier, err)
	}
	return n, nil
}
