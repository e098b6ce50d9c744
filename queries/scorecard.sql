-- Partner scorecard: one row per partner that passes the filters, as of $as_of.
-- Params: $as_of ('YYYY-Qn', null = default as-of), $segment, $region, $partner_type,
--         $program_tier, $partner_manager (lists of allowed values, null = all), $scope (the
--         partner managers the viewer may see, null = all).
-- Grain and columns are the CLI export's contract (README "Command line", the `export scorecard`
-- bullet). KPIs come from partner_quarter (queries/build/40_partner_quarter.sql) through
-- partner_scorecard (queries/build/92_partner_scorecard.sql); nothing is recomputed here.
--   as_of_state           'complete', or 'in_progress' when the as-of quarter contains the data's
--                         date: attainment is then to date, while missed_streak, missed_last_8
--                         and status come from the complete quarters before it
--   revenue_to_date       won revenue so far in an in-progress as-of quarter (empty when complete)
--   target_share_elapsed  the share of that quarter elapsed, 0..1 (empty when complete)
--   pace                  attainment to date / target_share_elapsed (1 = on pace; empty when
--                         complete)
--   missed_streak, missed_last_8 and status are empty when no targets were loaded at all
--   (meta.target_rows = 0): with nothing to miss, "ok" would claim more than the data says
select
    partner_id,
    partner_name,
    segment,
    region,
    partner_type,
    program_tier,
    partner_manager,
    earned_tier,
    revenue_t4q,
    won_deals_t4q,
    attainment,
    quarter_state as as_of_state,
    case when quarter_state = 'in_progress' then revenue end as revenue_to_date,
    share_elapsed as target_share_elapsed,
    pace,
    case when (select target_rows from meta) > 0 then missed_streak end as missed_streak,
    case when (select target_rows from meta) > 0 then missed_last_8 end as missed_last_8,
    alignment_score,
    case when (select target_rows from meta) > 0 then status end as status
from partner_scorecard(
    $as_of, $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
)
order by revenue_t4q desc, partner_id
