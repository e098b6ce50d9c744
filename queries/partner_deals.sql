-- One partner's deals: one row per deal, newest first. Params: $partner_id, $scope (the partner managers the viewer may see; null for all).
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
    and $partner_id in (select partner_id from filtered_partners(null, null, null, null, null, $scope))
order by closed_on desc, deal_id
