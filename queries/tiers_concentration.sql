-- Revenue concentration: one row per period and point of the Pareto curve, for the filtered
-- partners. period 'current' is revenue_t4q at the as-of quarter; 'previous' is revenue_t4q four
-- quarters earlier, which partner_quarter carries on the as-of row as revenue_prev4q (null, and
-- no 'previous' rows, when the data does not cover those four quarters).
-- Params: $as_of and the filter lists $segment, $region, $partner_type, $program_tier,
-- $partner_manager, $scope.
-- Per period (repeated on each of its rows):
--   fiscal_quarter   the quarter whose trailing four quarters are measured
--   partners, revenue_t4q: filtered partners and their total won revenue over those quarters
--   top10_share, top20_share: share of revenue_t4q held by the ceil(10% / 20% of partners) with
--                    the most of it (ties broken by partner_id; the Overview's top20_share)
--   hhi              Herfindahl-Hirschman index on the 0-10,000 scale: the sum over partners of
--                    (100 x their share of revenue_t4q)^2; null without revenue
-- Per point: partner_share = rank / partners (largest first), revenue_share = cumulative share of
-- revenue_t4q held by those partners. Every partner is a point up to 200 partners; above that,
-- the last partner of each half-percentile, so the curve has at most ~200 points per period.
with as_of as materialized (
    -- the as-of quarter index, computed once: comparing with the macro itself in a join or
    -- filter hides the quarter from the scan and makes the query ~4x slower at 100k partners
    select as_of_idx($as_of) as quarter_idx
),

scoped as (
    -- partner_key follows partner_id's order, and an integer sorts faster as the tie-break
    select p.partner_key, p.revenue_t4q, p.revenue_prev4q
    from filtered_partner_quarters(
        as_of_idx($as_of), as_of_idx($as_of),
        $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
    ) as p
),

labels as (
    select
        max(q.fiscal_quarter) filter (where q.quarter_idx = a.quarter_idx) as now_quarter,
        max(q.fiscal_quarter) filter (where q.quarter_idx = a.quarter_idx - 4) as prev_quarter
    from quarters as q
    cross join as_of as a
),

-- both periods ranked in one pass over the as-of rows (largest first, ties by partner_id)
ranked as (
    select
        revenue_t4q,
        revenue_prev4q,
        row_number() over by_now as rank_now,
        sum(revenue_t4q) over by_now as cumulative_now,
        row_number() over by_prev as rank_prev,
        sum(revenue_prev4q) over by_prev as cumulative_prev,
        count(*) over () as partners,
        sum(revenue_t4q) over () as total_now,
        sum(revenue_prev4q) over () as total_prev
    from scoped
    window
        by_now as (order by revenue_t4q desc, partner_key),
        by_prev as (order by revenue_prev4q desc, partner_key)
),

kpis as (
    select
        'current' as period,
        (select now_quarter from labels) as fiscal_quarter,
        any_value(total_now) as revenue_t4q,
        sum(revenue_t4q) filter (where rank_now <= ceil(partners * 0.1))
        / nullif(sum(revenue_t4q), 0) as top10_share,
        sum(revenue_t4q) filter (where rank_now <= ceil(partners * 0.2))
        / nullif(sum(revenue_t4q), 0) as top20_share,
        sum(power(100 * revenue_t4q / nullif(total_now, 0), 2)) as hhi
    from ranked
    union all
    select
        'previous',
        (select prev_quarter from labels),
        any_value(total_prev),
        sum(revenue_prev4q) filter (where rank_prev <= ceil(partners * 0.1))
        / nullif(sum(revenue_prev4q), 0),
        sum(revenue_prev4q) filter (where rank_prev <= ceil(partners * 0.2))
        / nullif(sum(revenue_prev4q), 0),
        sum(power(100 * revenue_prev4q / nullif(total_prev, 0), 2))
    from ranked
    where revenue_prev4q is not null
),

points as (
    select 'current' as period, partners, rank_now as revenue_rank,
        cumulative_now / nullif(total_now, 0) as revenue_share
    from ranked
    where
        partners <= 200
        or floor(rank_now * 200 / partners) > floor((rank_now - 1) * 200 / partners)
    union all
    select 'previous', partners, rank_prev, cumulative_prev / nullif(total_prev, 0)
    from ranked
    where revenue_prev4q is not null
        and (
            partners <= 200
            or floor(rank_prev * 200 / partners) > floor((rank_prev - 1) * 200 / partners)
        )
)

select
    p.period,
    k.fiscal_quarter,
    p.partners,
    k.revenue_t4q,
    k.top10_share,
    k.top20_share,
    k.hhi,
    p.revenue_rank / p.partners as partner_share,
    p.revenue_share
from points as p
join kpis as k using (period)
order by p.period, p.revenue_rank
