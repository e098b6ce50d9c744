-- Held tier against earned tier: one row per (program_tier, earned_tier) cell that has partners,
-- for the filtered partners as of $as_of.
-- Params: $as_of and the five filter lists.
--   program_tier  the tier the partner holds; '(none)' when it holds none
--   earned_tier   the tier its trailing-four-quarter revenue earns (partner_quarter)
--   tier_gap      tiers held above earned (queries/build/51_tier_gap.sql): > 0 over-tiered,
--                 < 0 promotion candidate, 0 a match; '(none)' counts as Registered
--   partners, revenue_t4q: partners in the cell and their won revenue, trailing four quarters
with as_of as materialized (
    -- the as-of quarter index, computed once: comparing with the macro itself in a join or
    -- filter hides the quarter from the scan and makes the query ~4x slower at 100k partners
    select as_of_idx($as_of) as quarter_idx
)

select
    coalesce(p.program_tier, '(none)') as program_tier,
    pq.earned_tier,
    any_value(tier_gap(p.program_tier, pq.earned_tier)) as tier_gap,
    count(*) as partners,
    sum(pq.revenue_t4q) as revenue_t4q
from filtered_partners($segment, $region, $partner_type, $program_tier, $partner_manager, $scope) as p
join partner_quarter as pq
    on pq.partner_id = p.partner_id and pq.quarter_idx = (select quarter_idx from as_of)
group by coalesce(p.program_tier, '(none)'), pq.earned_tier
order by
    list_position(
        ['Platinum', 'Gold', 'Silver', 'Registered', '(none)'], coalesce(p.program_tier, '(none)')
    ),
    list_position(['Platinum', 'Gold', 'Silver', 'Registered'], pq.earned_tier)
