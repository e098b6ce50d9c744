-- investments: one row per investment line (partner, fiscal quarter, program).
create table investments as
select
    partner_id,
    fiscal_quarter,
    program,
    amount,
    cast(left(fiscal_quarter, 4) as integer) * 4 + cast(right(fiscal_quarter, 1) as integer) - 1
        as quarter_idx
from stage_investments
order by quarter_idx, partner_id
