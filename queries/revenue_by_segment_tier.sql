-- Trailing-four-quarter won revenue by segment and earned tier: one row per (segment,
-- earned_tier) that has partners, for the filtered partners as of $as_of.
-- Params: $as_of and the filter lists $segment, $region, $partner_type, $program_tier,
-- $partner_manager, $scope.
select
    p.segment,
    p.earned_tier,
    count(*) as partners,
    sum(p.revenue_t4q) as revenue_t4q,
    sum(p.revenue_t4q) / nullif(sum(sum(p.revenue_t4q)) over (), 0) as revenue_share
from partner_scorecard(
    $as_of, $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
) as p
group by p.segment, p.earned_tier
order by
    list_position(['SMB', 'Midmarket', 'Enterprise', 'Mixed'], p.segment),
    tier_rank(p.earned_tier)
