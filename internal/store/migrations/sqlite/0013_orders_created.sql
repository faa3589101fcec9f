-- PostgreSQL's 0013 trades its covering index orders_created_place for a
-- one-column index on created_at; SQLite keeps the covering index (its
-- trends read each day packed from the index alone, store.PlaceOrders).
-- Kept so that both dialects share their migration numbers.
SELECT 1;
