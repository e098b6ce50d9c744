-- targets: one row per partner and fiscal quarter.
create table targets as
select
    partner_id,
    fiscal_quarter,
    target_amount,
    cast(left(fiscal_quarter, 4) as integer) * 4 + cast(right(fiscal_quarter, 1) as integer) - 1
        as quarter_idx
from stage_targets
order by quarter_idx, partner_id
