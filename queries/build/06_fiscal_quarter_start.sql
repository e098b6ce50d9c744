-- fiscal_quarter_start(quarter_idx, start_month): the first day of a fiscal quarter, the same
-- arithmetic as channel/fiscal.py (quarter_start). Its last day is the next quarter's start - 1.
create macro fiscal_quarter_start(quarter_idx, start_month) as
make_date(
    (quarter_idx // 4 - case when start_month > 1 then 1 else 0 end
        + (start_month - 1 + 3 * (quarter_idx % 4)) // 12)::bigint,
    ((start_month - 1 + 3 * (quarter_idx % 4)) % 12 + 1)::bigint,
    1
)
