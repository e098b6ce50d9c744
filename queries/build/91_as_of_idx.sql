-- as_of_idx: the quarter index of the as-of quarter. Null picks the default, worked out at load
-- (quarters.is_default_as_of, queries/build/20_quarters.sql): the latest complete fiscal quarter
-- that has a target. A planned quarter (it starts after the data's date) is never an as-of
-- quarter: it, like an unknown label, gives null, so a query on it returns no rows (the app and
-- the command line refuse it before that, with a message).
create macro as_of_idx(as_of) as
case
    when as_of is null then (select quarter_idx from quarters where is_default_as_of)
    else (
        select quarter_idx from quarters where fiscal_quarter = as_of and quarter_state <> 'planned'
    )
end
