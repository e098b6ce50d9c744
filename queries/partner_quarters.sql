-- One partner's quarters: one row per fiscal quarter, the $quarters quarters ending at the
-- as-of quarter. Params: $partner_id, $as_of, $quarters, $scope (the partner managers the viewer may see; null for all).
--   attainment is null without a target > 0; is_missed is null then (neither hit nor missed)
--   quarter_state 'complete' or 'in_progress' (attainment to date, never missed; pace)
--   avg_deal_size = revenue / won_deals (null without won deals)
select
    fiscal_quarter,
    quarter_idx,
    revenue,
    target_amount,
    attainment,
    is_missed,
    quarter_state,
    pace,
    won_deals,
    lost_deals,
    open_deals,
    revenue / nullif(won_deals, 0) as avg_deal_size
from partner_quarter
where partner_id = $partner_id
    and $partner_id in (select partner_id from filtered_partners(null, null, null, null, null, $scope))
    and quarter_idx between as_of_idx($as_of) - coalesce($quarters, 8) + 1 and as_of_idx($as_of)
order by quarter_idx
