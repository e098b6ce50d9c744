-- Partner scorecard: one row per partner that passes the filters, as of $as_of.
-- Params: $as_of ('YYYY-Qn', null = default as-of), $segment, $region, $partner_type,
--         $program_tier, $partner_manager (lists of allowed values, null = all), $scope (the
--         partner managers the viewer may see, null = all).
-- Grain and columns are the CLI export's contract (README "Command line", the `export scorecard`
-- bullet). KPIs come from partner_quarter (queries/build/40_partner_quarter.sql) through
-- partner_scorecard (queries/build/93_partner_scorecard.sql); nothing is recomputed here.
--   as_of_state           'complete', or 'in_progress' when the as-of quarter contains the data's
--                         date: attainment is then to date, while missed_streak, missed_last_8
--                         and status come from the complete quarters before it
--   revenue_to_date       won revenue so far in an in-progress as-of quarter (empty when complete)
--   target_share_elapsed  the share of that quarter elapsed, 0..1 (empty when complete)
--   pace                  attainment to date / target_share_elapsed (1 = on pace; empty when
--                         complete)
--   miss_risk_next        the forecast's probability (0..1) of missing the next quarter to end:
--                         the one after a complete as-of quarter, or the quarter in progress
--                         itself (partner_risk at the as-of quarter, of the kind the risk_kind
--                         macro picks, build/95_risk_kind.sql; channel/risk.py); empty without a
--                         forecast (no target in that quarter, or too little history)
--   risk_drivers          the forecast's three largest drivers in words, each saying whether it
--                         raises or lowers the risk
--   missed_streak, missed_last_8 and status are empty when no targets were loaded at all
--   (meta.target_rows = 0): with nothing to miss, "ok" would claim more than the data says
select
    s.partner_id,
    s.partner_name,
    s.segment,
    s.region,
    s.partner_type,
    s.program_tier,
    s.partner_manager,
    s.earned_tier,
    s.revenue_t4q,
    s.won_deals_t4q,
    s.attainment,
    s.quarter_state as as_of_state,
    case when s.quarter_state = 'in_progress' then s.revenue end as revenue_to_date,
    s.share_elapsed as target_share_elapsed,
    s.pace,
    case when (select target_rows from meta) > 0 then s.missed_streak end as missed_streak,
    case when (select target_rows from meta) > 0 then s.missed_last_8 end as missed_last_8,
    s.alignment_score,
    case when (select target_rows from meta) > 0 then s.status end as status,
    r.miss_risk as miss_risk_next,
    r.risk_drivers
from partner_scorecard(
    $as_of, $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
) as s
left join partner_risk as r
    on r.partner_id = s.partner_id
    and r.quarter_idx = s.quarter_idx
    and r.kind = risk_kind(s.quarter_state)
order by s.revenue_t4q desc, s.partner_id
