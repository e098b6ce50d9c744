-- A partner manager's worklist: one row per filtered partner as of $as_of, in the order that
-- needs attention first: status (replacement review, at risk, watch, ok), then the shortfall
-- against the as-of target, then tier mismatch, then alignment gap. At most $limit rows.
-- Params: $as_of, $limit, and the filter lists $segment, $region, $partner_type, $program_tier,
-- $partner_manager, $scope. Columns come from partner_scorecard
-- (queries/build/93_partner_scorecard.sql).
--   shortfall    target - won revenue in the as-of quarter when missed, else 0 (partner_quarter)
--   tier_gap     tiers held above the tier earned (the tier_gap macro, 51_tier_gap.sql:
--                positive = over-tiered, negative = a promotion candidate)
--   alignment_gap 1 - alignment_score (null when the score is unknown)
--   miss_risk    the forecast's probability (0..1) that the partner misses the next quarter to
--                end: the one after a complete as-of quarter, or the quarter in progress itself
--                (partner_risk at the as-of quarter, of the kind the risk_kind macro picks);
--                null without a forecast (no target in that quarter, or too little history)
with scored as (
    select
        s.partner_id,
        s.partner_name,
        s.segment,
        s.partner_manager,
        s.program_tier,
        s.earned_tier,
        s.status,
        s.missed_streak,
        s.missed_last_8,
        s.attainment,
        s.pace,
        s.shortfall,
        s.tier_gap,
        1 - s.alignment_score as alignment_gap,
        r.miss_risk,
        s.revenue_t4q
    from partner_scorecard(
        $as_of, $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
    ) as s
    left join partner_risk as r
        on r.partner_id = s.partner_id
        and r.quarter_idx = s.quarter_idx
        and r.kind = risk_kind(s.quarter_state)
)

select *
from scored
order by
    status_rank(status) desc,
    shortfall desc,
    abs(coalesce(tier_gap, 0)) desc,
    alignment_gap desc nulls last,
    revenue_t4q desc,
    partner_id
limit coalesce($limit, 500)
