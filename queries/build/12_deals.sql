-- deals: one row per deal, with the fiscal quarter of closed_on.
-- Params: $fiscal_year_start_month (1-12). A fiscal year is named by the calendar year in which
-- it ends; quarter_idx = fiscal_year * 4 + (quarter - 1), the same arithmetic as channel/fiscal.py.
create table deals as
with fiscal as (
    select
        *,
        year(closed_on)
            + case when $fiscal_year_start_month > 1
                and month(closed_on) >= $fiscal_year_start_month then 1 else 0 end
            as fiscal_year,
        ((month(closed_on) - $fiscal_year_start_month + 12) % 12) // 3 + 1 as fiscal_q
    from stage_deals
)

select
    deal_id,
    partner_id,
    amount,
    closed_on,
    status,
    vertical,
    created_on,
    fiscal_year * 4 + fiscal_q - 1 as quarter_idx,
    fiscal_year || '-Q' || fiscal_q as fiscal_quarter,
    date_diff('day', created_on, closed_on) as cycle_days
from fiscal
order by quarter_idx, partner_id
