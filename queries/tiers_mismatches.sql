-- Partners whose held tier differs from the tier they earn: one row per filtered partner with
-- tier_gap <> 0 (queries/build/51_tier_gap.sql), as of $as_of. Over-tiered partners (gap > 0)
-- first, the widest gap and the least revenue first; then promotion candidates (gap < 0), the
-- widest gap and the most revenue first. At most $limit rows of each finding (null = all).
-- Params: $as_of, $limit, and the filter lists $segment, $region, $partner_type, $program_tier,
-- $partner_manager, $scope.
-- Totals before the limit (the same on every row):
--   over_tiered_partners, over_tiered_revenue_t4q: partners with tier_gap > 0, their revenue_t4q
--   promotion_partners, promotion_revenue_t4q: partners with tier_gap < 0, their revenue_t4q
with mismatched as (
    select
        p.partner_id,
        p.partner_name,
        p.segment,
        p.partner_manager,
        coalesce(p.program_tier, '(none)') as program_tier,
        p.earned_tier,
        p.tier_gap,
        p.revenue_t4q,
        p.won_deals_t4q,
        p.status
    from partner_scorecard(
        $as_of, $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
    ) as p
    where p.tier_gap <> 0
),

totals as (
    select
        count(*) filter (where tier_gap > 0) as over_tiered_partners,
        coalesce(sum(revenue_t4q) filter (where tier_gap > 0), 0) as over_tiered_revenue_t4q,
        count(*) filter (where tier_gap < 0) as promotion_partners,
        coalesce(sum(revenue_t4q) filter (where tier_gap < 0), 0) as promotion_revenue_t4q
    from mismatched
),

ranked as (
    select
        *,
        row_number() over (
            partition by tier_gap > 0
            order by
                abs(tier_gap) desc,
                case when tier_gap > 0 then revenue_t4q else -revenue_t4q end,
                partner_id
        ) as finding_rank
    from mismatched
)

select r.* exclude (finding_rank), t.*
from ranked as r
cross join totals as t
where $limit is null or r.finding_rank <= $limit
order by r.tier_gap < 0, r.finding_rank
