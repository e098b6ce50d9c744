-- Chronic against temporary: one row per (current streak, missed_last_8, status) that has
-- partners, for the filtered partners as of $as_of.
-- Params: $as_of and the filter lists $segment, $region, $partner_type, $program_tier,
-- $partner_manager, $scope.
--   streak_bucket         missed_streak, with 8 standing for "8 or more"
--   missed_last_8, status from partner_quarter
--   partners              partners in the cell; revenue_t4q their trailing-four-quarter revenue
--   examples              up to 3 partner names of the cell, the largest revenue_t4q first
select
    least(p.missed_streak, 8) as streak_bucket,
    p.missed_last_8,
    p.status,
    count(*) as partners,
    sum(p.revenue_t4q) as revenue_t4q,
    arg_max(p.partner_name, p.revenue_t4q, 3) as examples
from partner_scorecard(
    $as_of, $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
) as p
group by streak_bucket, p.missed_last_8, p.status
order by streak_bucket, p.missed_last_8
