-- How well the miss forecast was calibrated: one row per decile of predicted risk (1 = lowest),
-- over the filtered partners' forecasts whose outcome is known at $as_of: the quarter predicted
-- is at or before the as-of quarter (target_idx <= its index) and complete with a target
-- (missed_actual not null), in the last $quarters such quarters predicted. Each forecast was
-- made by a model trained only on outcomes known before it (channel/risk.py), so this is a
-- rolling-origin backtest. It reads the kind the as-of quarter shows (the risk_kind macro), or
-- 'next' when that kind has no known outcome yet (a nowcast's quarter is still in progress).
-- Params: $as_of, $quarters, the filter lists $segment, $region, $partner_type, $program_tier,
-- $partner_manager, $scope.
--   kind                 the forecast measured ('next' or 'nowcast')
--   predictions          forecasts in the decile; missed: how many of them missed
--   predicted_miss_rate  mean miss_risk in the decile; observed_miss_rate = missed / predictions
--   risk_from, risk_to   the lowest and highest miss_risk in the decile
--   first_quarter, last_quarter  the quarters predicted that the backtest covers
--   total_predictions    forecasts over all deciles
with as_of as materialized (
    select
        quarter_idx,
        risk_kind(quarter_state) as kind
    from quarters
    where quarter_idx = as_of_idx($as_of)
),

known as (
    select
        r.kind,
        r.target_idx,
        r.target_quarter,
        r.miss_risk,
        r.missed_actual
    from partner_risk as r
    semi join filtered_partners(
        $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
    ) as f on f.partner_id = r.partner_id
    where r.target_idx <= (select quarter_idx from as_of)
        and r.missed_actual is not null
),

chosen as (
    select
        case
            when exists (select 1 from known where kind = (select kind from as_of))
                then (select kind from as_of)
            else 'next'
        end as kind
),

recent as (
    select distinct target_idx
    from known
    where kind = (select kind from chosen)
    order by target_idx desc
    limit $quarters
),

deciles as (
    select
        k.*,
        ntile(10) over (order by k.miss_risk, k.target_idx) as decile
    from known as k
    semi join recent as q on q.target_idx = k.target_idx
    where k.kind = (select kind from chosen)
)

select
    decile,
    any_value(kind) as kind,
    count(*) as predictions,
    sum(missed_actual)::bigint as missed,
    avg(miss_risk) as predicted_miss_rate,
    avg(missed_actual::double) as observed_miss_rate,
    min(miss_risk) as risk_from,
    max(miss_risk) as risk_to,
    (select min(target_quarter) from deciles) as first_quarter,
    (select max(target_quarter) from deciles) as last_quarter,
    (select count(*) from deciles) as total_predictions
from deciles
group by decile
order by decile
