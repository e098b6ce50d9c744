-- Current missed streaks: one row per segment and streak length that has partners, for the
-- filtered partners as of $as_of.
-- Params: $as_of and the five filter lists.
--   streak_bucket         missed_streak (partner_quarter), with 8 standing for "8 or more"
--   partners              filtered partners with that streak in that segment
--   segment_partners      filtered partners in the segment (for shares)
with as_of as materialized (
    -- the as-of quarter index, computed once (the macro inside a join hides it from the scan)
    select as_of_idx($as_of) as quarter_idx
)

select
    p.segment,
    least(pq.missed_streak, 8) as streak_bucket,
    count(*) as partners,
    (sum(count(*)) over (partition by p.segment))::bigint as segment_partners
from filtered_partners($segment, $region, $partner_type, $program_tier, $partner_manager, $scope) as p
join partner_quarter as pq on pq.partner_id = p.partner_id
where pq.quarter_idx = (select quarter_idx from as_of)
group by p.segment, streak_bucket
order by list_position(['SMB', 'Midmarket', 'Enterprise', 'Mixed'], p.segment), streak_bucket
