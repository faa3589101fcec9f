-- Handlers' site photos (issue 18): a photo taken with a note or a reply
-- belongs to that event of the order's timeline. NULL is a photo that came
-- with the order itself (the citizen's).
ALTER TABLE order_photos ADD COLUMN event_seq INTEGER;

-- The caller's earlier orders at intake (issue 18): by phone, newest first.
CREATE INDEX orders_caller_phone ON orders(caller_phone, created_at);
