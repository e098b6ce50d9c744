-- as_of_idx: the quarter index of the as-of quarter. Null picks the default: the latest complete
-- fiscal quarter that has any target; without one, the latest complete quarter; without any
-- complete quarter, the quarter in progress. A planned quarter (it starts after the data's date)
-- is never an as-of quarter: it, like an unknown label, gives null, so a query on it returns no
-- rows (the app and the CLI refuse it before that, with a message).
create macro as_of_idx(as_of) as
case
    when as_of is null then coalesce(
        (
            select max(t.quarter_idx)
            from targets as t
            join quarters as q on q.quarter_idx = t.quarter_idx
            where q.quarter_state = 'complete'
        ),
        (select max(quarter_idx) from quarters where quarter_state = 'complete'),
        (select max(quarter_idx) from quarters where quarter_state = 'in_progress')
    )
    else (
        select quarter_idx from quarters where fiscal_quarter = as_of and quarter_state <> 'planned'
    )
end
