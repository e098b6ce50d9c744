-- One partner's investments: one row per program and fiscal quarter up to $as_of (the last 8
-- quarters). Params: $partner_id, $as_of, $scope (the partner managers the viewer may see; null for all).
select
    i.fiscal_quarter,
    i.quarter_idx,
    i.program,
    sum(i.amount) as amount
from investments as i
where i.partner_id = $partner_id
    and $partner_id in (select partner_id from filtered_partners(null, null, null, null, null, $scope))
    and i.quarter_idx between as_of_idx($as_of) - 7 and as_of_idx($as_of)
group by all
order by i.quarter_idx, i.program
