-- Chronic against temporary: one row per (current streak, missed_last_8, status) that has
-- partners, for the filtered partners as of $as_of.
-- Params: $as_of and the five filter lists.
--   streak_bucket         missed_streak, with 8 standing for "8 or more"
--   missed_last_8, status from partner_quarter
--   partners              partners in the cell; revenue_t4q their trailing-four-quarter revenue
--   examples              up to 3 partner names of the cell, the largest revenue_t4q first
with as_of as materialized (
    -- the as-of quarter index, computed once (the macro inside a join hides it from the scan)
    select as_of_idx($as_of) as quarter_idx
)

select
    least(pq.missed_streak, 8) as streak_bucket,
    pq.missed_last_8,
    pq.status,
    count(*) as partners,
    sum(pq.revenue_t4q) as revenue_t4q,
    arg_max(p.partner_name, pq.revenue_t4q, 3) as examples
from filtered_partners($segment, $region, $partner_type, $program_tier, $partner_manager, $scope) as p
join partner_quarter as pq on pq.partner_id = p.partner_id
where pq.quarter_idx = (select quarter_idx from as_of)
group by streak_bucket, pq.missed_last_8, pq.status
order by streak_bucket, pq.missed_last_8
