package store

import (
	"slices"
	"time"
)

// windowRec is one record a time index pointed at.
type windowRec struct{ id, data string }

// recordsWindow is how one kind of time-indexed record is decoded and ordered.
type recordsWindow[T any] struct {
	decode func(windowRec) (T, error)
	at     func(T) time.Time
	// byID orders records of the same instant, the order they were recorded in.
	byID func(a, b string) int
}

// keep decodes recs, keeps the records with from <= time < to (the index
// is read at whole milliseconds, so its edges need the exact check) and
// sorts them oldest first, then by id.
func (w recordsWindow[T]) keep(recs []windowRec, from, to time.Time) ([]T, error) {
	type idRec struct {
		id  string
		rec T
	}
	kept := make([]idRec, 0, len(recs))
	for _, r := range recs {
		v, err := w.decode(r)
		if err != nil {
			return nil, err
		}
		if t := w.at(v); !t.Before(from) && t.Before(to) {
			kept = append(kept, idRec{r.id, v})
		}
	}
	slices.SortStableFunc(kept, func(a, b idRec) int {
		if c := w.at(a.rec).Compare(w.at(b.rec)); c != 0 {
			return c
		}
		return w.byID(a.id, b.id)
	})
	out := make([]T, len(kept))
	for i, x := range kept {
		out[i] = x.rec
	}
	return out, nil
}
