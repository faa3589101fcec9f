-- Indexes for the work lists (queue tabs, unit inbox, leader's board) at
-- 100,000+ orders: the open orders by id, the supervised ones, and the
-- co-units of each order as rows so a handler's view can use an index
-- instead of scanning every order's JSON list.
CREATE INDEX orders_open ON orders(id)
    WHERE status NOT IN ('answered', 'closed', 'merged', 'invalid');
CREATE INDEX orders_supervised ON orders(id)
    WHERE supervised = TRUE AND status NOT IN ('answered', 'closed', 'merged', 'invalid');
CREATE INDEX orders_unit_id ON orders(unit, id);

CREATE TABLE order_co_units (
    order_id  BIGINT NOT NULL REFERENCES orders(id),
    unit      TEXT NOT NULL,
    PRIMARY KEY (unit, order_id)
);
INSERT INTO order_co_units (order_id, unit)
    SELECT o.id, j.value FROM orders o, jsonb_array_elements_text(o.co_units::jsonb) j(value);
