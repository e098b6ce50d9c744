-- Partners that most need attention: one row per filtered partner whose status is not ok, as of
-- $as_of; the most severe status first, then the largest revenue_t4q (the partners whose
-- trouble costs most), at most $limit rows.
-- Params: $as_of, $limit, and the filter lists $segment, $region, $partner_type, $program_tier,
-- $partner_manager, $scope. Columns come from partner_scorecard
-- (queries/build/93_partner_scorecard.sql).
select
    partner_id,
    partner_name,
    segment,
    partner_manager,
    program_tier,
    earned_tier,
    status,
    missed_streak,
    missed_last_8,
    attainment,
    revenue_t4q
from partner_scorecard(
    $as_of, $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
)
where status <> 'ok'
order by status_rank(status) desc, revenue_t4q desc, partner_id
limit $limit
