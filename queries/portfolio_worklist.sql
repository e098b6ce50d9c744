-- A partner manager's worklist: one row per filtered partner as of $as_of, in the order that
-- needs attention first: status (replacement review, at risk, watch, ok), then the shortfall
-- against the as-of target, then tier mismatch, then alignment gap. At most $limit rows.
-- Params: $as_of, $limit, and the five filter lists.
--   shortfall    target - won revenue in the as-of quarter when missed, else 0
--   tier_gap     tiers held above the tier earned (the tier_gap macro, 51_tier_gap.sql:
--                positive = over-tiered, negative = a promotion candidate)
--   alignment_gap 1 - alignment_score (null when the score is unknown)
with as_of as materialized (
    -- the as-of quarter index, computed once (the macro inside a join hides it from the scan)
    select as_of_idx($as_of) as quarter_idx
),

scored as (
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
        pq.pace,
        case when pq.is_missed then pq.target_amount - pq.revenue else 0 end as shortfall,
        tier_gap(p.program_tier, pq.earned_tier) as tier_gap,
        1 - pq.alignment_score as alignment_gap,
        pq.revenue_t4q
    from filtered_partners($segment, $region, $partner_type, $program_tier, $partner_manager, $scope) as p
    join partner_quarter as pq
        on pq.partner_id = p.partner_id and pq.quarter_idx = (select quarter_idx from as_of)
)

select *
from scored
order by
    list_position(['replace_review', 'at_risk', 'watch', 'ok'], status),
    shortfall desc,
    abs(coalesce(tier_gap, 0)) desc,
    alignment_gap desc nulls last,
    revenue_t4q desc,
    partner_id
limit coalesce($limit, 500)
