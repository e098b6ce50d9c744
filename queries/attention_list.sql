-- Partners that most need attention: one row per filtered partner whose status is not ok, as of
-- $as_of; the most severe status first, then the largest revenue_t4q (the partners whose
-- trouble costs most), at most $limit rows.
-- Params: $as_of, $limit, and the five filter lists.
with as_of as materialized (
    -- the as-of quarter index, computed once (the macro inside a join hides it from the scan)
    select as_of_idx($as_of) as quarter_idx
)

select
    p.partner_id,
    p.partner_name,
    p.segment,
    p.partner_manager,
    p.program_tier,
    pq.earned_tier,
    pq.status,
    pq.missed_streak,
    pq.missed_last_8,
    pq.attainment,
    pq.revenue_t4q
from filtered_partners($segment, $region, $partner_type, $program_tier, $partner_manager, $scope) as p
join partner_quarter as pq
    on pq.partner_id = p.partner_id and pq.quarter_idx = (select quarter_idx from as_of)
where pq.status <> 'ok'
order by
    list_position(['replace_review', 'at_risk', 'watch'], pq.status),
    pq.revenue_t4q desc,
    p.partner_id
limit $limit
