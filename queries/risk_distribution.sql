-- Miss risk by segment: one row per segment and risk band (10 points wide) that holds a filtered
-- partner with a forecast at $as_of (partner_risk at the as-of quarter, of the kind it shows:
-- the risk_kind macro). Partners without a target in the quarter predicted have no forecast.
-- Params: $as_of, the filter lists $segment, $region, $partner_type, $program_tier,
-- $partner_manager, $scope.
--   risk_band          0..9: miss_risk from band_from (included) to band_to (excluded; 1 in 9)
--   partners           partners in the segment and band
--   revenue_at_stake   sum of miss_risk x target_amount over them
--   segment_partners, segment_median_risk, segment_expected_misses (the sum of miss_risk: how
--                      many partners of the segment would miss if the forecast is calibrated),
--                      segment_revenue_at_stake: the segment's totals, on each of its rows
with scored as (
    select
        s.segment,
        r.miss_risk,
        r.revenue_at_stake
    from partner_scorecard(
        $as_of, $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
    ) as s
    join partner_risk as r
        on r.partner_id = s.partner_id
        and r.quarter_idx = s.quarter_idx
        and r.kind = risk_kind(s.quarter_state)
),

segments as (
    select
        segment,
        count(*) as segment_partners,
        median(miss_risk) as segment_median_risk,
        sum(miss_risk) as segment_expected_misses,
        sum(revenue_at_stake) as segment_revenue_at_stake
    from scored
    group by segment
),

banded as (
    select
        segment,
        least(floor(miss_risk * 10), 9)::integer as risk_band,
        count(*) as partners,
        sum(revenue_at_stake) as revenue_at_stake
    from scored
    group by all
)

select
    b.segment,
    b.risk_band,
    b.risk_band / 10 as band_from,
    (b.risk_band + 1) / 10 as band_to,
    b.partners,
    b.revenue_at_stake,
    s.segment_partners,
    s.segment_median_risk,
    s.segment_expected_misses,
    s.segment_revenue_at_stake
from banded as b
join segments as s on s.segment = b.segment
order by b.segment, b.risk_band
