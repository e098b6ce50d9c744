-- Partners whose held tier differs from the tier they earn: one row per filtered partner with
-- tier_gap <> 0 (queries/build/51_tier_gap.sql), as of $as_of. Over-tiered partners (gap > 0)
-- first, the widest gap and the least revenue first; then promotion candidates (gap < 0), the
-- widest gap and the most revenue first. At most $limit rows of each finding (null = all).
-- Params: $as_of, $limit, and the five filter lists.
-- Totals before the limit (the same on every row):
--   over_tiered_partners, over_tiered_revenue_t4q: partners with tier_gap > 0, their revenue_t4q
--   promotion_partners, promotion_revenue_t4q: partners with tier_gap < 0, their revenue_t4q
with as_of as materialized (
    -- the as-of quarter index, computed once: comparing with the macro itself in a join or
    -- filter hides the quarter from the scan and makes the query ~4x slower at 100k partners
    select as_of_idx($as_of) as quarter_idx
),

mismatched as (
    select
        p.partner_id,
        p.partner_name,
        p.segment,
        p.partner_manager,
        coalesce(p.program_tier, '(none)') as program_tier,
        pq.earned_tier,
        tier_gap(p.program_tier, pq.earned_tier) as tier_gap,
        pq.revenue_t4q,
        pq.won_deals_t4q,
        pq.status
    from filtered_partners($segment, $region, $partner_type, $program_tier, $partner_manager, $scope) as p
    join partner_quarter as pq
        on pq.partner_id = p.partner_id and pq.quarter_idx = (select quarter_idx from as_of)
    where tier_gap(p.program_tier, pq.earned_tier) <> 0
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
