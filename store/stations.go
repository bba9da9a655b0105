package store

import (
	"context"
	"slices"

	"github.com/pickwave/pickwave"
)

// CreateStation adds a pack station.
func (db *DB) CreateStation(ctx context.Context, st *pickwave.Station) error {
	if err := st.Validate(); err != nil {
		return err
	}
	return db.update(ctx, func(t *txn) error {
		if t.Get(spaceStations, []byte(st.ID)) != nil {
			return pickwave.Errorf(pickwave.ECONFLICT, "Station %s already exists.", st.ID)
		}
		if err := t.checkPortsFree(st); err != nil {
			return err
		}
		st.CreatedAt, st.UpdatedAt = t.now, t.now
		if err := t.putJSON(spaceStations, []byte(st.ID), st); err != nil {
			return err
		}
		_, err := t.appendEvent(pickwave.EventStationCreated, "station/"+st.ID, st)
		return err
	})
}

// UpdateStation replaces a station's name and devices, keeping its
// creation time.
func (db *DB) UpdateStation(ctx context.Context, st *pickwave.Station) (*pickwave.Station, error) {
	if err := st.Validate(); err != nil {
		return nil, err
	}
	var out *pickwave.Station
	err := db.update(ctx, func(t *txn) error {
		old, err := t.station(st.ID)
		if err != nil {
			return err
		}
		if err := t.checkPortsFree(st); err != nil {
			return err
		}
		next := *st
		next.CreatedAt, next.UpdatedAt = old.CreatedAt, t.now
		if err := t.putJSON(spaceStations, []byte(next.ID), &next); err != nil {
			return err
		}
		if _, err := t.appendEvent(pickwave.EventStationUpdated, "station/"+next.ID, &next); err != nil {
			return err
		}
		out = &next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkPortsFree refuses a scanner or scale port that another station
// uses: two readers on one serial port would each get half the bytes.
// Printers may be shared, since every job is its own connection.
func (t *txn) checkPortsFree(st *pickwave.Station) error {
	mine := st.Ports()
	if len(mine) == 0 {
		return nil
	}
	return t.Scan(spaceStations, nil, nil, func(k, v []byte) error {
		if string(k) == st.ID {
			return nil
		}
		other := new(pickwave.Station)
		if err := decode(spaceStations, k, v, other); err != nil {
			return err
		}
		for _, p := range other.Ports() {
			if slices.Contains(mine, p) {
				return &pickwave.Error{Code: pickwave.ECONFLICT,
					Message: "Station " + other.ID + " already uses port " + p + ".",
					Details: []pickwave.FieldError{{Field: portField(st, p), Reason: "is used by station " + other.ID}}}
			}
		}
		return nil
	})
}

func portField(st *pickwave.Station, port string) string {
	if st.Scanner != nil && st.Scanner.Port == port {
		return "scanner.port"
	}
	return "scale.port"
}

// Station returns one station.
func (db *DB) Station(ctx context.Context, id string) (*pickwave.Station, error) {
	var st *pickwave.Station
	err := db.view(ctx, func(t *txn) (err error) {
		st, err = t.station(id)
		return err
	})
	return st, err
}

func (t *txn) station(id string) (*pickwave.Station, error) {
	st := new(pickwave.Station)
	ok, err := t.getJSON(spaceStations, []byte(id), st)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, notFound("Station %s does not exist.", id)
	}
	return st, nil
}

// Stations lists stations in id order after the given id.
func (db *DB) Stations(ctx context.Context, after string, limit int) ([]*pickwave.Station, error) {
	return list[pickwave.Station](ctx, db, spaceStations, after, limit)
}
