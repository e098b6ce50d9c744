-- Current missed streaks: one row per segment and streak length that has partners, for the
-- filtered partners as of $as_of.
-- Params: $as_of and the filter lists $segment, $region, $partner_type, $program_tier,
-- $partner_manager, $scope.
--   streak_bucket         missed_streak (partner_quarter), with 8 standing for "8 or more"
--   partners              filtered partners with that streak in that segment
--   segment_partners      filtered partners in the segment (for shares)
select
    p.segment,
    least(p.missed_streak, 8) as streak_bucket,
    count(*) as partners,
    (sum(count(*)) over (partition by p.segment))::bigint as segment_partners
from partner_scorecard(
    $as_of, $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
) as p
group by p.segment, streak_bucket
order by list_position(['SMB', 'Midmarket', 'Enterprise', 'Mixed'], p.segment), streak_bucket
