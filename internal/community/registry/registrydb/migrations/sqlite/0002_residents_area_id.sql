-- An area's residents in id order (a list without a status filter): on
-- PostgreSQL, without it the planner walks the primary key filtering by area
-- (an area's rows are found only after every earlier one: 1 s at a million
-- residents), because it expects an area's rows to be spread evenly.
CREATE INDEX residents_area_id ON residents(area, id);
