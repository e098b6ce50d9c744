-- One partner's miss forecast at $as_of: one row, or none when the partner has no forecast (no
-- target in the quarter predicted, no model for this quarter, an unknown id, or one the viewer
-- may not see). It is partner_risk at the as-of quarter, of the kind the quarter shows (the
-- risk_kind macro): 'next' (the quarter after a complete one) or 'nowcast' (the quarter in
-- progress itself).
-- Params: $partner_id, $as_of, $scope (the partner managers the viewer may see; null for all).
--   kind, target_quarter, target_amount, miss_risk (0..1), revenue_at_stake, driver_1..3,
--   effect_1..3, risk_drivers: channel/risk.py (README "Miss forecast")
select
    r.kind,
    r.target_quarter,
    r.target_amount,
    r.miss_risk,
    r.revenue_at_stake,
    r.driver_1,
    r.effect_1,
    r.driver_2,
    r.effect_2,
    r.driver_3,
    r.effect_3,
    r.risk_drivers
from partner_scorecard($as_of, null, null, null, null, null, $scope) as s
join partner_risk as r
    on r.partner_id = s.partner_id
    and r.quarter_idx = s.quarter_idx
    and r.kind = risk_kind(s.quarter_state)
where s.partner_id = $partner_id
