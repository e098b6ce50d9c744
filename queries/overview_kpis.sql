-- Overview KPI cards: one row for the partners that pass the filters, as of $as_of.
-- Params: $as_of, $segment, $region, $partner_type, $program_tier, $partner_manager, $scope.
--   partners            partners that pass the filters
--   active_partners     of those, partners with at least one won deal in the trailing four quarters
--   revenue_t4q         won revenue, the as-of quarter and the three before it
--   revenue_prev4q      won revenue in the four quarters before those (null when the data does
--                       not reach that far back)
--   revenue_asof, target_asof: the as-of quarter, over partners with a target > 0 in it
--   attainment_asof     revenue_asof / target_asof (a fraction); to date when the as-of
--                       quarter is in progress
--   as_of_state         'complete' or 'in_progress' (quarters.quarter_state)
--   share_elapsed       the share of an in-progress as-of quarter elapsed (null when complete)
--   pace_asof           attainment_asof / share_elapsed (null when complete; 1 = on pace)
--   watch, at_risk, replace_review: partners per status
-- (The top-20% revenue share is defined once, in tiers_concentration.sql.)
with as_of as materialized (
    -- the as-of quarter index, computed once (the macro inside a join hides it from the scan)
    select as_of_idx($as_of) as quarter_idx
),

scoped as (
    select p.*
    from partner_scorecard(
        $as_of, $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
    ) as p
),

prev_reach as (
    -- the previous four quarters are only comparable when the data covers all of them
    select count(*) = 4 as is_covered
    from quarters
    where quarter_idx between (select quarter_idx from as_of) - 7
        and (select quarter_idx from as_of) - 4
),

totals as (
    select
        count(*) as partners,
        count(*) filter (where won_deals_t4q > 0) as active_partners,
        coalesce(sum(revenue_t4q), 0) as revenue_t4q,
        sum(revenue_prev4q) as revenue_prev4q,
        coalesce(sum(revenue) filter (where target_amount > 0), 0) as revenue_asof,
        sum(target_amount) filter (where target_amount > 0) as target_asof,
        count(*) filter (where status = 'watch') as watch,
        count(*) filter (where status = 'at_risk') as at_risk,
        count(*) filter (where status = 'replace_review') as replace_review,
        any_value(quarter_state) as as_of_state,
        any_value(share_elapsed) as share_elapsed
    from scoped
)

select
    t.partners,
    t.active_partners,
    t.revenue_t4q,
    case when r.is_covered then t.revenue_prev4q end as revenue_prev4q,
    t.revenue_asof,
    t.target_asof,
    t.revenue_asof / t.target_asof as attainment_asof,
    t.as_of_state,
    t.share_elapsed,
    t.revenue_asof / t.target_asof / t.share_elapsed as pace_asof,
    t.watch,
    t.at_risk,
    t.replace_review
from totals as t, prev_reach as r
