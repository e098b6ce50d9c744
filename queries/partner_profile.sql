-- One partner's profile and scorecard as of $as_of: one row, or none for an unknown id.
-- Params: $partner_id, $as_of, $scope (the partner managers the viewer may see; null for all). KPI columns come from partner_quarter (the single definitions).
with as_of as materialized (
    -- the as-of quarter index, computed once (the macro inside a join hides it from the scan)
    select as_of_idx($as_of) as quarter_idx
)

select
    p.partner_id,
    p.partner_name,
    p.segment,
    p.region,
    p.partner_type,
    p.program_tier,
    p.partner_manager,
    p.joined_on,
    pq.fiscal_quarter as as_of,
    pq.earned_tier,
    pq.status,
    pq.revenue_t4q,
    pq.revenue_prev4q,
    pq.won_deals_t4q,
    pq.revenue,
    pq.target_amount,
    pq.attainment,
    pq.is_missed,
    pq.quarter_state as as_of_state,
    pq.share_elapsed,
    pq.pace,
    pq.missed_streak,
    pq.missed_last_8,
    pq.targeted_last_8,
    pq.alignment_score
from filtered_partners(null, null, null, null, null, $scope) as p
join partner_quarter as pq
    on pq.partner_id = p.partner_id and pq.quarter_idx = (select quarter_idx from as_of)
where p.partner_id = $partner_id
