-- What-if tier floors: one row per (earned tier under the configured floors, tier under the
-- floors given) that has partners, for the filtered partners as of $as_of.
-- Params: $floor_platinum, $floor_gold, $floor_silver (revenue_t4q floors; null = the floor the
-- database was built with, table settings), $as_of and the filter lists $segment, $region,
-- $partner_type, $program_tier, $partner_manager, $scope.
-- The what-if tier applies the rule of partner_quarter.earned_tier, the earned_tier macro
-- (queries/build/07_earned_tier.sql), to the given floors.
--   tiers_moved  tiers climbed (> 0) or dropped (< 0) under the given floors
--   partners, revenue_t4q: partners and their revenue_t4q
-- Totals over all rows (the same on every row): moved_up, moved_down (partners),
--   changed_partners and changed_revenue_t4q (partners whose tier would change, and their
--   revenue_t4q)
with floors as (
    select
        coalesce($floor_platinum, tier_floor_platinum) as platinum,
        coalesce($floor_gold, tier_floor_gold) as gold,
        coalesce($floor_silver, tier_floor_silver) as silver
    from settings
),

retiered as (
    select
        p.earned_tier,
        earned_tier(p.revenue_t4q, f.platinum, f.gold, f.silver) as what_if_tier,
        p.revenue_t4q
    from partner_scorecard(
        $as_of, $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
    ) as p
    cross join floors as f
),

cells as (
    select
        earned_tier,
        what_if_tier,
        any_value(tier_rank(earned_tier) - tier_rank(what_if_tier)) as tiers_moved,
        count(*) as partners,
        sum(revenue_t4q) as revenue_t4q
    from retiered
    group by earned_tier, what_if_tier
)

select
    *,
    coalesce(sum(partners) filter (where tiers_moved > 0) over (), 0)::bigint as moved_up,
    coalesce(sum(partners) filter (where tiers_moved < 0) over (), 0)::bigint as moved_down,
    coalesce(sum(partners) filter (where tiers_moved <> 0) over (), 0)::bigint as changed_partners,
    coalesce(sum(revenue_t4q) filter (where tiers_moved <> 0) over (), 0) as changed_revenue_t4q
from cells
order by tier_rank(earned_tier), tier_rank(what_if_tier)
