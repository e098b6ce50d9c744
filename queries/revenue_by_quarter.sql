-- Won revenue against target per fiscal quarter: one row per quarter, the $quarters quarters
-- ending at the as-of quarter (fewer when the data starts later), for the filtered partners,
-- then the plan ahead: up to four quarters after the as-of quarter that are not complete (the
-- quarter in progress and planned quarters), with their targets only, so that nothing after the
-- as-of quarter counts.
-- Params: $as_of, $quarters (how many), and the filter lists $segment, $region, $partner_type,
-- $program_tier, $partner_manager, $scope.
--   quarter_state     'complete', 'in_progress' (revenue and attainment to date) or 'planned'
--   is_plan           a quarter after the as-of quarter: target only (revenue and attainment null)
--   revenue           won revenue of all filtered partners
--   target            sum of targets > 0
--   revenue_targeted  won revenue of the partners that had a target > 0 that quarter
--   attainment        revenue_targeted / target (a fraction; null without targets)
--   missed_partners, targeted_partners: partners that missed / had a target in a complete quarter
with as_of as materialized (
    -- the as-of quarter index, computed once (the macro inside a join hides it from the scan)
    select as_of_idx($as_of) as quarter_idx
),

per_quarter as (
    select
        pq.fiscal_quarter,
        pq.quarter_idx,
        any_value(pq.quarter_state) as quarter_state,
        pq.quarter_idx > (select quarter_idx from as_of) as is_plan,
        sum(pq.revenue) as revenue,
        sum(pq.target_amount) filter (where pq.target_amount > 0) as target,
        sum(pq.revenue) filter (where pq.target_amount > 0) as revenue_targeted,
        count(*) filter (where pq.is_missed) as missed_partners,
        count(*) filter (where pq.is_missed is not null) as targeted_partners
    from filtered_partner_quarters(
        as_of_idx($as_of) - $quarters + 1, as_of_idx($as_of) + 4,
        $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
    ) as pq
    where pq.quarter_idx <= (select quarter_idx from as_of) or pq.quarter_state <> 'complete'
    group by pq.fiscal_quarter, pq.quarter_idx
)

select
    fiscal_quarter,
    quarter_idx,
    quarter_state,
    is_plan,
    case when not is_plan then revenue end as revenue,
    target,
    case when not is_plan then revenue_targeted end as revenue_targeted,
    case when not is_plan then revenue_targeted / target end as attainment,
    missed_partners,
    targeted_partners
from per_quarter
order by quarter_idx
