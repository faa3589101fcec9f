-- Ranked search (store/search.go): a query that names a compound also finds
-- the orders filed under it, newest first, through this index.
CREATE INDEX orders_compound_id ON orders(compound, id);
