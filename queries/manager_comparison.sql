-- Partner managers compared: one row per partner manager among the filtered partners, as of
-- $as_of, largest revenue first. Partners without a manager are grouped as "(no manager)".
-- Params: $as_of and the filter lists $segment, $region, $partner_type, $program_tier,
-- $partner_manager, $scope.
--   attainment: won revenue / target in the as-of quarter over partners with a target > 0
--   flagged: partners whose status is not ok
--   main_segment: the segment with most of the manager's partners (ties: SMB, Midmarket,
--                 Enterprise, Mixed)
select
    coalesce(p.partner_manager, '(no manager)') as partner_manager,
    count(*) as partners,
    sum(p.revenue_t4q) as revenue_t4q,
    sum(p.revenue) filter (where p.target_amount > 0)
    / nullif(sum(p.target_amount) filter (where p.target_amount > 0), 0) as attainment,
    count(*) filter (where p.status <> 'ok') as flagged,
    count(*) filter (where p.status = 'replace_review') as replace_review,
    count(*) filter (where p.segment = 'SMB') as smb,
    count(*) filter (where p.segment = 'Midmarket') as midmarket,
    count(*) filter (where p.segment = 'Enterprise') as enterprise,
    count(*) filter (where p.segment = 'Mixed') as mixed,
    case greatest(smb, midmarket, enterprise, mixed)
        when smb then 'SMB'
        when midmarket then 'Midmarket'
        when enterprise then 'Enterprise'
        else 'Mixed'
    end as main_segment
from partner_scorecard(
    $as_of, $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
) as p
group by all
order by revenue_t4q desc, partner_manager
