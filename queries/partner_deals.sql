-- One partner's deals: one row per deal, newest first. Params: $partner_id.
select
    deal_id,
    fiscal_quarter,
    closed_on,
    created_on,
    status,
    vertical,
    amount,
    cycle_days
from deals
where partner_id = $partner_id
order by closed_on desc, deal_id
