-- nowcast_features: one row per partner and quarter q, with what was known on day d of q and,
-- where it is known, whether q ended missed. The nowcast's input (channel/nowcast.py; README
-- "Miss forecast"): "will the quarter in progress end missed", trained on past quarters seen at
-- the same share elapsed, rebuilt from the deal dates.
-- Params: $share (the share of the quarter elapsed, 0 < share <= 1).
-- Grain: partner x quarter_idx (q), for every quarter q that is complete, or in progress with
-- day d on or before the data's date, and where the partner has a target above zero in q (a
-- zero target has no attainment, as in partner_quarter: neither hit nor missed).
-- Day d, the last day known: q's start + floor($share x days in q) - 1. quarters.share_elapsed
-- of the quarter in progress is (days from its start to the data's date, inclusive) / days in
-- it, so passing that share back gives d = the data's date exactly. The 1e-9 guards the floor:
-- (x / n) x n comes back as x - 1e-15 for some x and n in floating point (7 / 83 x 83, say).
-- Every feature reads only deals closed on or before d, deals created on or before d (amount
-- and close date read as known then), targets (the plan, known ahead), partner_quarter at
-- q - 1 (which ended before q began) and undated partner facts; tests/test_nowcast.py fails if
-- a feature changes when anything after d does.
--   known_day          day d (a date)
--   quarter_state      'complete' or 'in_progress'
--   missed             1 when q is complete and was missed (partner_quarter.is_missed), 0 when
--                      it was hit; null while q is in progress (nothing to learn yet)
--   target_amount      the target of q (> 0)
--   share              $share, the share of q elapsed at d
--   revenue_to_date    won revenue closed from q's start to d
--   attainment_to_date revenue_to_date / target_amount
--   pace               attainment_to_date / share: the attainment q ends with if the rest of it
--                      books at the same rate (1 = on pace for the target)
--   deals_to_date      deals won from q's start to d
--   pipeline_amount    the amount of the deals created on or before d, not closed by d, whose
--                      close date falls in d + 1 .. q's end, whatever their status now (a deal
--                      lost later was still pipeline at d). For the quarter in progress read at
--                      the data's date, those are the open deals due by the quarter's end. A
--                      deal without created_on is left out: nothing says it existed at d
--   pipeline_coverage  pipeline_amount / target_amount. Over the target rather than over what
--                      is left of it (target - revenue_to_date): that gap is zero or negative
--                      once the target is reached, and the model sees attainment_to_date beside
--                      it. Past quarters read each deal's actual close date as the expected
--                      one, which flatters this feature against a live CRM's moving dates
--   attainment_with_pipeline  attainment_to_date + pipeline_coverage: the attainment q ends
--                      with if every deal in the pipeline at d closes won on time. Its own
--                      column because the additive model cannot add two features inside one
--                      curve, and whether the sum clears 1 is what matters
--   missed_prev        q - 1 missed: 1 / 0 / null (no target in q - 1, or q - 1 off the grid)
--   attainment_prev    attainment of q - 1 (null without a target there)
--   missed_streak      missed quarters in a row at the end of q - 1 (partner_quarter)
--   missed_last_8      missed quarters among the 8 ending with q - 1 (partner_quarter)
--   segment, program_tier  undated partner facts; no program tier reads 'Registered'
with q as (
    select
        quarter_idx,
        fiscal_quarter,
        quarter_state,
        quarter_start,
        quarter_end,
        share_elapsed,
        date_diff('day', quarter_start, quarter_end) + 1 as days
    from quarters
    where quarter_state in ('complete', 'in_progress')
),

known as (
    select
        *,
        (quarter_start + floor($share * days + 1e-9)::integer - 1)::date as known_day,
        -- the data's date, for the quarter in progress (share_elapsed x days is whole)
        (quarter_start + round(share_elapsed * days)::integer - 1)::date as data_day
    from q
),

-- a later share of the quarter in progress has not happened yet
visible as (
    select * exclude (data_day)
    from known
    where quarter_state = 'complete' or known_day <= data_day
),

-- deals.quarter_idx is the quarter of closed_on (an open deal's expected close date), and
-- every deal a row reads closes in q: revenue up to d, pipeline after it
to_date as (
    select
        d.partner_id,
        d.quarter_idx,
        sum(d.amount) filter (where d.status = 'won' and d.closed_on <= k.known_day)
            as revenue_to_date,
        count(*) filter (where d.status = 'won' and d.closed_on <= k.known_day) as deals_to_date,
        sum(d.amount) filter (where d.closed_on > k.known_day and d.created_on <= k.known_day)
            as pipeline_amount
    from deals as d
    join visible as k using (quarter_idx)
    group by all
)

select
    pq.partner_id,
    pq.quarter_idx,
    k.fiscal_quarter,
    k.known_day,
    k.quarter_state,
    case when k.quarter_state = 'complete' then pq.is_missed::integer end as missed,
    pq.target_amount,
    $share::double as share,
    coalesce(t.revenue_to_date, 0) as revenue_to_date,
    coalesce(t.revenue_to_date, 0) / pq.target_amount as attainment_to_date,
    coalesce(t.revenue_to_date, 0) / pq.target_amount / $share as pace,
    coalesce(t.deals_to_date, 0)::integer as deals_to_date,
    coalesce(t.pipeline_amount, 0) as pipeline_amount,
    coalesce(t.pipeline_amount, 0) / pq.target_amount as pipeline_coverage,
    (coalesce(t.revenue_to_date, 0) + coalesce(t.pipeline_amount, 0)) / pq.target_amount
        as attainment_with_pipeline,
    prev.is_missed::integer as missed_prev,
    prev.attainment as attainment_prev,
    prev.missed_streak,
    prev.missed_last_8,
    p.segment,
    coalesce(p.program_tier, 'Registered') as program_tier
from partner_quarter as pq
join visible as k using (quarter_idx)
join partners as p using (partner_id)
left join to_date as t on t.partner_id = pq.partner_id and t.quarter_idx = pq.quarter_idx
left join partner_quarter as prev
    on prev.partner_id = pq.partner_id and prev.quarter_idx = pq.quarter_idx - 1
where pq.target_amount > 0
order by pq.quarter_idx, pq.partner_id
