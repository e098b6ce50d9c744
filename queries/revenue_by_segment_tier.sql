-- Trailing-four-quarter won revenue by segment and earned tier: one row per (segment,
-- earned_tier) that has partners, for the filtered partners as of $as_of.
-- Params: $as_of and the five filter lists.
with as_of as materialized (
    -- the as-of quarter index, computed once (the macro inside a join hides it from the scan)
    select as_of_idx($as_of) as quarter_idx
)

select
    p.segment,
    pq.earned_tier,
    count(*) as partners,
    sum(pq.revenue_t4q) as revenue_t4q,
    sum(pq.revenue_t4q) / nullif(sum(sum(pq.revenue_t4q)) over (), 0) as revenue_share
from filtered_partners($segment, $region, $partner_type, $program_tier, $partner_manager, $scope) as p
join partner_quarter as pq
    on pq.partner_id = p.partner_id and pq.quarter_idx = (select quarter_idx from as_of)
group by p.segment, pq.earned_tier
order by
    list_position(['SMB', 'Midmarket', 'Enterprise', 'Mixed'], p.segment),
    list_position(['Platinum', 'Gold', 'Silver', 'Registered'], pq.earned_tier)
