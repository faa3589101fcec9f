package service

import (
	"context"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/order"
	"hotline/internal/store"
)

// ImportRow is one historical order read from a file by internal/importer.
type ImportRow struct {
	Line      int            // where the row starts in the file, for messages
	Order     order.NewOrder // with Source and ExternalID set
	CreatedAt time.Time
	Status    order.Status // received, or a final state: answered, closed, invalid
	ClosedAt  *time.Time   // for final states; CreatedAt when nil
	Format    string       // the file format, recorded on the first event
}

// RowError is a row that cannot be imported, with its line.
type RowError struct {
	Line int
	Err  error
}

func (e RowError) Error() string { return e.Err.Error() }

// ImportBatch is a batch of rows validated and ready to write.
type ImportBatch struct {
	orders []store.BulkOrder
	lines  []int
}

// Len is the number of orders in the batch.
func (b ImportBatch) Len() int { return len(b.orders) }

// ImportActor is the actor on the first event of every imported order.
const ImportActor = "import"

// PrepareImport validates rows as new orders (the same rules as any
// channel) and computes their search tokens: the CPU part of an import,
// which can run beside the previous batch's write. Bad rows come back as
// RowErrors.
func (s *Service) PrepareImport(rows []ImportRow) (ImportBatch, []RowError) {
	var b ImportBatch
	var bad []RowError
	now := s.now()
	a := Actor{Username: ImportActor, Role: order.RoleOperator}
	for _, r := range rows {
		in := r.Order
		body := map[string]any{"import": r.Format}
		if in.Category != "" && !s.categoryKnown(in.Category) {
			body["category_hint"] = in.Category
			in.Category = ""
		}
		if in.Compound != "" && !s.compoundKnown(in.Compound) {
			body["compound_hint"] = in.Compound
			in.Compound = ""
		}
		switch {
		case r.CreatedAt.IsZero():
			bad = append(bad, RowError{r.Line, apperr.Field("created_at", "required")})
			continue
		case r.CreatedAt.After(now.Add(24 * time.Hour)):
			bad = append(bad, RowError{r.Line, apperr.Field("created_at", "in the future")})
			continue
		case in.ExternalID == "":
			bad = append(bad, RowError{r.Line, apperr.Field("id", "required: the row's id makes a re-import idempotent")})
			continue
		}
		o, ev, err := in.Build(a, order.CreateEnv{Now: r.CreatedAt, CategoryKnown: s.categoryKnown, CompoundKnown: s.compoundKnown})
		if err != nil {
			bad = append(bad, RowError{r.Line, err})
			continue
		}
		switch r.Status {
		case "", order.Received:
		case order.Answered, order.Closed, order.Invalid:
			at := o.CreatedAt
			if r.ClosedAt != nil {
				if r.ClosedAt.Before(o.CreatedAt) {
					bad = append(bad, RowError{r.Line, apperr.Field("closed_at", "before the creation time")})
					continue
				}
				at = r.ClosedAt.UTC()
			}
			o.Status = r.Status
			o.UpdatedAt = at
			if r.Status == order.Closed {
				o.ClosedAt = &at
				body["closed_at"] = at.Format(time.RFC3339)
			}
		default:
			bad = append(bad, RowError{r.Line, apperr.Field("status", "imported orders are received, answered, closed or invalid")})
			continue
		}
		ev.To = o.Status
		ev.Body["external_id"] = o.ExternalID
		for k, v := range body {
			ev.Body[k] = v
		}
		b.orders = append(b.orders, store.BulkOrder{Order: o, Event: ev, Tokens: s.tokens(&o)})
		b.lines = append(b.lines, r.Line)
	}
	return b, bad
}

// ImportResult counts what a batch did.
type ImportResult struct {
	Imported int
	Existing int // already imported before (same source and id)
}

// WriteImport stores a prepared batch in one transaction: all of its new
// orders, each with its first event and search tokens, or nothing.
func (s *Service) WriteImport(ctx context.Context, b ImportBatch) (ImportResult, error) {
	res, err := s.store.BulkCreateOrders(ctx, b.orders)
	if err != nil {
		return ImportResult{}, err
	}
	return ImportResult{Imported: res.Inserted, Existing: len(res.Existing)}, nil
}

// Orders returns the prepared orders (benchmarks feed them to the
// baseline).
func (b ImportBatch) Orders() []store.BulkOrder { return b.orders }

// FinishImport brings what is derived from the orders up to date after a
// bulk import (the dashboards' rollups, which the bulk path does not
// maintain row by row).
func (s *Service) FinishImport(ctx context.Context) error {
	return s.store.RebuildRollups(ctx)
}
