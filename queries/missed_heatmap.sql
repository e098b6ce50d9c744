-- Attainment heatmap: one row per shown partner and fiscal quarter, the $quarters quarters
-- ending at $as_of (default 12; fewer when the data starts later).
-- Which partners: at most $limit (default 60) of the filtered partners; those with a status other
-- than ok come first, each group by the largest revenue_t4q as of $as_of.
-- Row order (row_order): most severe status first, then the longest missed_streak, then revenue_t4q.
-- Params: $as_of, $quarters, $limit, and the filter lists $segment, $region, $partner_type,
-- $program_tier, $partner_manager, $scope.
--   partners_in_scope     filtered partners in all (so the page can say how many are not shown)
--   attainment            revenue / target of that quarter (a fraction); null = no target, or a
--                         target of 0 (neither hit nor missed)
--   is_missed             attainment below the miss_below setting; null without a target, and
--                         in a quarter that is not over
--   quarter_state         'complete', or 'in_progress' for the quarter that contains the data's
--                         date: its attainment is to date and it is never a miss
with as_of as materialized (
    -- the as-of quarter index, computed once (the macro inside a join hides it from the scan)
    select as_of_idx($as_of) as quarter_idx
),

scoped as (
    select
        p.partner_id,
        p.partner_name,
        p.segment,
        p.status,
        p.missed_streak,
        p.missed_last_8,
        p.revenue_t4q,
        p.partner_key
    from partner_scorecard(
        $as_of, $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
    ) as p
),

picked as (
    select *, (select count(*) from scoped) as partners_in_scope
    from scoped
    order by (status <> 'ok') desc, revenue_t4q desc, partner_id
    limit coalesce($limit, 60)
),

ordered as (
    select
        *,
        row_number() over (
            order by
                status_rank(status) desc,
                missed_streak desc,
                revenue_t4q desc,
                partner_id
        ) as row_order
    from picked
)

select
    o.row_order,
    o.partner_id,
    o.partner_name,
    o.segment,
    o.status,
    o.missed_streak,
    o.missed_last_8,
    o.revenue_t4q,
    o.partners_in_scope,
    pq.fiscal_quarter,
    pq.quarter_idx,
    pq.revenue,
    pq.target_amount,
    pq.attainment,
    pq.is_missed,
    pq.quarter_state,
    pq.pace
from ordered as o
join partner_quarter as pq on pq.partner_key = o.partner_key
where pq.quarter_idx in (
    select unnest(range(quarter_idx - coalesce($quarters, 12) + 1, quarter_idx + 1)) from as_of
)
order by o.row_order, pq.quarter_idx
