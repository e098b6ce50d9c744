-- The Next quarter tab's partner lists: one row per filtered partner and list, as of $as_of,
-- with the partner's forecast (partner_risk at the as-of quarter, of the kind it shows: the
-- risk_kind macro). A partner without a target in the quarter predicted has no forecast.
--   list 'early_warning': status 'ok' at the as-of quarter (partner_quarter.status) and
--        miss_risk >= $min_risk; the largest revenue_at_stake first
--   list 'recovery': on a missed streak at the as-of quarter (missed_streak >= 1); the best
--        chance of hitting first (then the largest revenue_t4q)
-- A partner can be on both lists (status ok with a streak of 1).
-- Params: $as_of, $min_risk (a fraction), $limit (rows per list; null: all), the filter lists
-- $segment, $region, $partner_type, $program_tier, $partner_manager, $scope.
--   list_partners        partners on the list (before $limit)
--   status, missed_streak, missed_last_8, revenue_t4q: partner_quarter as of $as_of, through
--                        partner_scorecard (queries/build/93_partner_scorecard.sql)
--   target_quarter, target_amount: the quarter predicted and its target
--   miss_risk            the probability of missing target_quarter (0..1); hit_chance = 1 - it
--   revenue_at_stake     miss_risk x target_amount
--   driver_1..3, effect_1..3, risk_drivers: the forecast's three largest contributions (words,
--                        signed log-odds against the average partner; > 0 raises the risk)
with scored as (
    select
        s.partner_id,
        s.partner_name,
        s.segment,
        s.partner_manager,
        s.status,
        s.missed_streak,
        s.missed_last_8,
        s.revenue_t4q,
        r.target_quarter,
        r.target_amount,
        r.miss_risk,
        1 - r.miss_risk as hit_chance,
        r.revenue_at_stake,
        r.driver_1,
        r.effect_1,
        r.driver_2,
        r.effect_2,
        r.driver_3,
        r.effect_3,
        r.risk_drivers
    from partner_scorecard(
        $as_of, $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
    ) as s
    join partner_risk as r
        on r.partner_id = s.partner_id
        and r.quarter_idx = s.quarter_idx
        and r.kind = risk_kind(s.quarter_state)
),

listed as (
    select
        'early_warning' as list,
        *,
        row_number() over (order by revenue_at_stake desc, partner_id) as rank_in_list
    from scored
    where status = 'ok' and miss_risk >= $min_risk
    union all
    select
        'recovery' as list,
        *,
        row_number() over (
            order by hit_chance desc, revenue_t4q desc, partner_id
        ) as rank_in_list
    from scored
    where missed_streak >= 1
)

select
    * exclude (rank_in_list),
    count(*) over (partition by list) as list_partners
from listed
qualify $limit is null or rank_in_list <= $limit
order by list, rank_in_list
