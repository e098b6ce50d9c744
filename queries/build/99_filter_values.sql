-- filter_values: the global filters' values for a viewer who may see every partner
-- (filter_option_values(null), 98_filter_option_values.sql), worked out once at load: at a
-- million partners the five distinct lists take 0.05 s, on every page.
create table filter_values as
select * from filter_option_values(null)
