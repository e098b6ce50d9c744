-- partner_features: one row per partner and complete quarter t, with what was known at the end
-- of t and, where it is known, whether the partner missed quarter t + 1. The miss forecast's
-- input (channel/forecast.py; README "Miss forecast"). Every feature reads only deals closed on
-- or before the end of t, targets (the plan, known ahead), and undated partner facts;
-- tests/test_forecast.py fails if a feature changes when anything after the end of t does.
-- It takes no parameters.
-- Grain: partner x quarter_idx (t), for every complete quarter t that has a next quarter in
-- the grid.
--   missed_next        1 when quarter t + 1 is complete, has a target and was missed; 0 when it
--                      was hit; null when it is not complete or has no target (nothing to learn)
--   target_next        the target of t + 1 (the revenue at stake)
--   missed_now         1 / 0 / null (no target at t): was t itself missed
--   attainment_trend   least-squares slope of attainment over t - 3 .. t, per quarter
--   revenue_growth     revenue_t4q / revenue_prev4q - 1 (null without four earlier quarters)
--   win_rate_4q        won / (won + lost) deals closed in t - 3 .. t
--   deals_4q           won + lost deals closed in t - 3 .. t
--   avg_deal_4q        revenue_t4q / won deals in t - 3 .. t
--   cycle_days_4q      median days from created_on to closed_on of the won deals of t - 3 .. t
--   pipeline_coverage  amount of the deals open at the end of t (created on or before it, not
--                      closed by then) whose close date falls in t + 1, / target_next. The
--                      backtest reads each deal's actual close date as the expected one, which
--                      flatters this feature against a live CRM's moving dates
--   target_growth      target_next / target at t - 1, the plan's step from t to t + 1
--   revenue_cover_next revenue at t / target_next: how much of next quarter's target this
--                      quarter's revenue would cover
--   run_rate_cover_next (revenue_t4q / 4) / target_next: the same for the average quarter of
--                      the last four. Both are ratios the additive model cannot form from
--                      attainment and target_growth, which it only adds
--   investment_ratio   investment_t4q / revenue_t4q
--   tenure_quarters    quarters from the partner's joined_on to t (null without joined_on)
with q as (
    select quarter_idx, quarter_start, quarter_end, quarter_state from quarters
),

t_rows as (
    select pq.*, q.quarter_end
    from partner_quarter as pq
    join q using (quarter_idx)
    where q.quarter_state = 'complete'
        and exists (select 1 from q as n where n.quarter_idx = pq.quarter_idx + 1)
),

next_q as (
    select
        partner_id,
        quarter_idx - 1 as quarter_idx,
        target_amount as target_next,
        case when is_missed then 1 when not is_missed then 0 end as missed_next
    from partner_quarter
),

-- over the partner's rows of t - 3 .. t: a window, not a join (a join on partner_id and a range
-- of quarters multiplies the rows by the quarters, and at a million partners that is the load)
last_four as (
    select
        partner_id,
        quarter_idx,
        regr_slope(attainment, quarter_idx) over four as attainment_trend,
        sum(won_deals) over four as won_4q,
        sum(lost_deals) over four as lost_4q
    from partner_quarter
    window four as (
        partition by partner_id order by quarter_idx range between 3 preceding and current row
    )
),

-- each won deal counts towards the as-of quarters t = its quarter + 0 .. 3: an equality join
cycles as (
    select
        d.partner_id,
        d.quarter_idx + k.k as quarter_idx,
        median(d.cycle_days) as cycle_days_4q
    from deals as d
    cross join range(4) as k(k)
    where d.status = 'won'
    group by all
),

-- the deals due in t + 1 (their quarter_idx, from closed_on) that existed at the end of t
pipeline as (
    select t.partner_id, t.quarter_idx, sum(d.amount) as pipeline_next
    from t_rows as t
    join deals as d
        on d.partner_id = t.partner_id
        and d.quarter_idx = t.quarter_idx + 1
        and d.created_on <= t.quarter_end
    group by all
),

people as (
    select
        partner_id,
        count(*) as contacts,
        count(*) filter (where is_certified) as certified
    from contacts
    group by partner_id
)

select
    t.partner_id,
    t.quarter_idx,
    t.fiscal_quarter,
    n.missed_next,
    n.target_next,
    case when t.is_missed then 1 when not t.is_missed then 0 end as missed_now,
    t.status,
    t.missed_streak,
    t.missed_last_8,
    t.attainment,
    tr.attainment_trend,
    case when t.revenue_prev4q > 0 then t.revenue_t4q / t.revenue_prev4q - 1 end
        as revenue_growth,
    case when tr.won_4q + tr.lost_4q > 0 then tr.won_4q / (tr.won_4q + tr.lost_4q) end
        as win_rate_4q,
    tr.won_4q + tr.lost_4q as deals_4q,
    case when t.won_deals_t4q > 0 then t.revenue_t4q / t.won_deals_t4q end as avg_deal_4q,
    c.cycle_days_4q,
    case when n.target_next > 0 then coalesce(pl.pipeline_next, 0) / n.target_next end
        as pipeline_coverage,
    case when t.target_amount > 0 then n.target_next / t.target_amount - 1 end as target_growth,
    case when n.target_next > 0 then coalesce(t.revenue, 0) / n.target_next end
        as revenue_cover_next,
    case when n.target_next > 0 then coalesce(t.revenue_t4q, 0) / 4 / n.target_next end
        as run_rate_cover_next,
    p.segment,
    coalesce(p.program_tier, 'Registered') as program_tier,
    tier_gap(p.program_tier, t.earned_tier) as tier_gap,
    t.alignment_score,
    case when t.revenue_t4q > 0 then t.investment_t4q / t.revenue_t4q end as investment_ratio,
    coalesce(pe.contacts, 0) as contacts,
    coalesce(pe.certified, 0) as certified,
    case
        when p.joined_on is not null
            then t.quarter_idx - fiscal_quarter_idx(p.joined_on, s.fiscal_year_start_month)
    end as tenure_quarters
from t_rows as t
join partners as p using (partner_id)
cross join settings as s
left join next_q as n on n.partner_id = t.partner_id and n.quarter_idx = t.quarter_idx
left join last_four as tr on tr.partner_id = t.partner_id and tr.quarter_idx = t.quarter_idx
left join cycles as c on c.partner_id = t.partner_id and c.quarter_idx = t.quarter_idx
left join pipeline as pl on pl.partner_id = t.partner_id and pl.quarter_idx = t.quarter_idx
left join people as pe on pe.partner_id = t.partner_id
order by t.quarter_idx, t.partner_id
