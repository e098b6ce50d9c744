-- as_of_idx: the quarter index of the as-of quarter. Null picks the default: the latest fiscal
-- quarter that has any target (or, with no targets at all, the latest quarter with data).
-- An unknown label gives null, so a query on it returns no rows.
create macro as_of_idx(as_of) as
case
    when as_of is null then coalesce(
        (select max(quarter_idx) from targets),
        (select max(quarter_idx) from quarters)
    )
    else (select quarter_idx from quarters where fiscal_quarter = as_of)
end
