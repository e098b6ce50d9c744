-- Earned-tier movement: one row per (earned tier four quarters before the as-of quarter, earned
-- tier at the as-of quarter) that has partners, for the filtered partners. Both tiers come from
-- partner_quarter. Empty when the data does not cover the four quarters behind the earlier tier
-- (partner_quarter.revenue_prev4q is null at the as-of quarter).
-- Params: $as_of and the filter lists $segment, $region, $partner_type, $program_tier,
-- $partner_manager, $scope.
--   quarter_before  the fiscal quarter four quarters before the as-of quarter
--   tiers_moved     tiers climbed (> 0), dropped (< 0) or 0
--   partners, revenue_t4q: partners and their revenue_t4q at the as-of quarter
-- Totals over all rows (the same on every row): moved_up, moved_down, stayed (partners)
with cells as (
    select
        pq_before.fiscal_quarter as quarter_before,
        pq_before.earned_tier as tier_before,
        pq.earned_tier as tier_now,
        any_value(tier_rank(pq_before.earned_tier) - tier_rank(pq.earned_tier)) as tiers_moved,
        count(*) as partners,
        sum(pq.revenue_t4q) as revenue_t4q
    from partner_scorecard(
        $as_of, $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
    ) as pq
    join partner_quarter as pq_before
        on pq_before.partner_id = pq.partner_id and pq_before.quarter_idx = pq.quarter_idx - 4
    where pq.revenue_prev4q is not null
    group by pq_before.fiscal_quarter, pq_before.earned_tier, pq.earned_tier
)

select
    *,
    coalesce(sum(partners) filter (where tiers_moved > 0) over (), 0)::bigint as moved_up,
    coalesce(sum(partners) filter (where tiers_moved < 0) over (), 0)::bigint as moved_down,
    coalesce(sum(partners) filter (where tiers_moved = 0) over (), 0)::bigint as stayed
from cells
order by tier_rank(tier_before), tier_rank(tier_now)
