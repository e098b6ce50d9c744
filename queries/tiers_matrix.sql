-- Held tier against earned tier: one row per (program_tier, earned_tier) cell that has partners,
-- for the filtered partners as of $as_of.
-- Params: $as_of and the filter lists $segment, $region, $partner_type, $program_tier,
-- $partner_manager, $scope.
--   program_tier  the tier the partner holds; '(none)' when it holds none
--   earned_tier   the tier its trailing-four-quarter revenue earns (partner_quarter)
--   tier_gap      tiers held above earned (queries/build/51_tier_gap.sql): > 0 over-tiered,
--                 < 0 promotion candidate, 0 a match; '(none)' counts as Registered
--   partners, revenue_t4q: partners in the cell and their won revenue, trailing four quarters
select
    coalesce(p.program_tier, '(none)') as program_tier,
    p.earned_tier,
    any_value(p.tier_gap) as tier_gap,
    count(*) as partners,
    sum(p.revenue_t4q) as revenue_t4q
from partner_scorecard(
    $as_of, $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
) as p
group by coalesce(p.program_tier, '(none)'), p.earned_tier
-- a partner that holds no tier ('(none)': tier_rank is null) comes last
order by tier_rank(coalesce(p.program_tier, '(none)')), tier_rank(p.earned_tier)
