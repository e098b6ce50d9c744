-- Partner scorecard: one row per partner that passes the filters, as of $as_of.
-- Params: $as_of ('YYYY-Qn', null = default as-of), $segment, $region, $partner_type,
--         $program_tier, $partner_manager (lists of allowed values, null = all), $scope.
-- Grain and columns are the CLI export's contract (README "Scorecard export"). KPIs come from
-- partner_quarter (queries/build/40_partner_quarter.sql); nothing is recomputed here.
--   as_of_state           'complete', or 'in_progress' when the as-of quarter contains the data's
--                         date: attainment is then to date, while missed_streak, missed_last_8
--                         and status come from the complete quarters before it
--   revenue_to_date       won revenue so far in an in-progress as-of quarter (empty when complete)
--   target_share_elapsed  the share of that quarter elapsed, 0..1 (empty when complete)
--   pace                  attainment to date / target_share_elapsed (1 = on pace; empty when
--                         complete)
with as_of as materialized (
    -- the as-of quarter index, computed once (the macro inside a join hides it from the scan)
    select as_of_idx($as_of) as quarter_idx
)

select
    p.partner_id,
    p.partner_name,
    p.segment,
    p.region,
    p.partner_type,
    p.program_tier,
    p.partner_manager,
    pq.earned_tier,
    pq.revenue_t4q,
    pq.won_deals_t4q,
    pq.attainment,
    pq.quarter_state as as_of_state,
    case when pq.quarter_state = 'in_progress' then pq.revenue end as revenue_to_date,
    pq.share_elapsed as target_share_elapsed,
    pq.pace,
    pq.missed_streak,
    pq.missed_last_8,
    pq.alignment_score,
    pq.status
from filtered_partners($segment, $region, $partner_type, $program_tier, $partner_manager, $scope) as p
join partner_quarter as pq
    on pq.partner_id = p.partner_id and pq.quarter_idx = (select quarter_idx from as_of)
order by pq.revenue_t4q desc, p.partner_id
