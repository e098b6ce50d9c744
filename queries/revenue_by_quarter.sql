-- Won revenue against target per fiscal quarter: one row per quarter, the $quarters quarters
-- ending at the as-of quarter (fewer when the data starts later), for the filtered partners.
-- Params: $as_of, $quarters (how many), and the five filter lists.
--   revenue           won revenue of all filtered partners
--   target            sum of targets > 0
--   revenue_targeted  won revenue of the partners that had a target > 0 that quarter
--   attainment        revenue_targeted / target (a fraction; null without targets)
--   missed_partners, targeted_partners: partners that missed / had a target
with as_of as materialized (
    -- the as-of quarter index, computed once (the macro inside a join hides it from the scan)
    select as_of_idx($as_of) as quarter_idx
)

select
    pq.fiscal_quarter,
    pq.quarter_idx,
    sum(pq.revenue) as revenue,
    sum(pq.target_amount) filter (where pq.target_amount > 0) as target,
    sum(pq.revenue) filter (where pq.target_amount > 0) as revenue_targeted,
    sum(pq.revenue) filter (where pq.target_amount > 0)
    / sum(pq.target_amount) filter (where pq.target_amount > 0) as attainment,
    count(*) filter (where pq.is_missed) as missed_partners,
    count(*) filter (where pq.is_missed is not null) as targeted_partners
from filtered_partners($segment, $region, $partner_type, $program_tier, $partner_manager, $scope) as p
join partner_quarter as pq on pq.partner_id = p.partner_id
where pq.quarter_idx between (select quarter_idx from as_of) - $quarters + 1
    and (select quarter_idx from as_of)
group by pq.fiscal_quarter, pq.quarter_idx
order by pq.quarter_idx
