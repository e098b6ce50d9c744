-- One partner's profile and scorecard as of $as_of: one row, or none for an unknown id.
-- Params: $partner_id, $as_of, $scope (the partner managers the viewer may see; null for all).
-- KPI columns come from partner_quarter (the single definitions) through partner_scorecard
-- (queries/build/93_partner_scorecard.sql).
select
    partner_id,
    partner_name,
    segment,
    region,
    partner_type,
    program_tier,
    partner_manager,
    joined_on,
    fiscal_quarter as as_of,
    earned_tier,
    status,
    revenue_t4q,
    revenue_prev4q,
    won_deals_t4q,
    revenue,
    target_amount,
    attainment,
    is_missed,
    quarter_state as as_of_state,
    share_elapsed,
    pace,
    missed_streak,
    missed_last_8,
    targeted_last_8,
    alignment_score
from partner_scorecard($as_of, null, null, null, null, null, $scope)
where partner_id = $partner_id
