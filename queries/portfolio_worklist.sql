-- A partner manager's worklist: one row per filtered partner as of $as_of, in the order that
-- needs attention first: status (replacement review, at risk, watch, ok), then the shortfall
-- against the as-of target, then tier mismatch, then alignment gap. At most $limit rows.
-- Params: $as_of, $limit, and the filter lists $segment, $region, $partner_type, $program_tier,
-- $partner_manager, $scope. Columns come from partner_scorecard
-- (queries/build/92_partner_scorecard.sql).
--   shortfall    target - won revenue in the as-of quarter when missed, else 0 (partner_quarter)
--   tier_gap     tiers held above the tier earned (the tier_gap macro, 51_tier_gap.sql:
--                positive = over-tiered, negative = a promotion candidate)
--   alignment_gap 1 - alignment_score (null when the score is unknown)
with scored as (
    select
        partner_id,
        partner_name,
        segment,
        partner_manager,
        program_tier,
        earned_tier,
        status,
        missed_streak,
        missed_last_8,
        attainment,
        pace,
        shortfall,
        tier_gap,
        1 - alignment_score as alignment_gap,
        revenue_t4q
    from partner_scorecard(
        $as_of, $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
    )
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
