-- partner_quarter: one row per partner and fiscal quarter of the grid (every partner, every
-- quarter). The quarter doubles as the as-of quarter: the trailing columns look back from it and
-- never forward, so "the scorecard as of Q" is `where quarter_idx = Q`.
-- Each row starts with the partner's own columns (partners, the same order) and ends with
-- partner_key. The loader runs this file once per range of 250,000 partner keys ($first_key ..
-- $last_key, channel/sqlfiles.py CHUNK_KEYS), each range stored in (quarter_idx, partner_key)
-- order: a page that reads one quarter, filtered by segment or partner manager, scans that
-- quarter's row groups alone (zone maps on quarter_idx) and joins nothing
-- (filtered_partner_quarters, 92_filtered_partner_quarters.sql). A range at a time keeps the
-- windows' memory to a range's: all million partners at once spilled tens of GB under 4 GB.
-- This file is the single definition of the KPIs (README "KPI definitions").
-- Only complete quarters (quarters.quarter_state) are hit or missed. For a quarter that is in
-- progress, attainment is to date and pace compares it with the share of the quarter elapsed;
-- its streak, missed_last_8 and status are those of the complete quarters before it. A planned
-- quarter keeps its target (the plan) and has no attainment.
-- Params: $miss_below, $watch_streak, $at_risk_streak, $replace_review_missed,
--         $tier_floor_platinum, $tier_floor_gold, $tier_floor_silver; $first_key, $last_key.
--   shortfall       target - won revenue of a missed quarter, else 0 (hits do not offset misses)
--   investment_t4q  investment over the four quarters ending here, all programs
--                   (36_partner_investment.sql); 0 when none
create table partner_quarter as
with chunk as (
    select * from partners where partner_key between $first_key and $last_key
),

deal_facts as (
    select
        partner_id,
        quarter_idx,
        sum(amount) filter (where status = 'won') as revenue,
        count(*) filter (where status = 'won') as won_deals,
        count(*) filter (where status = 'lost') as lost_deals,
        count(*) filter (where status = 'open') as open_deals,
        sum(amount) filter (where status = 'open') as open_amount,
        median(cycle_days) filter (where status = 'won') as cycle_days_median
    from deals
    where partner_id in (select partner_id from chunk)
    group by all
),

invested as (
    select partner_id, quarter_idx, sum(investment_t4q) as investment_t4q
    from partner_investment
    where partner_id in (select partner_id from chunk)
    group by all
),

quarterly as (
    select
        p.partner_key,
        q.quarter_idx,
        q.fiscal_quarter,
        q.fiscal_year,
        q.quarter_state,
        q.share_elapsed,
        coalesce(d.revenue, 0) as revenue,
        coalesce(d.won_deals, 0) as won_deals,
        coalesce(d.lost_deals, 0) as lost_deals,
        coalesce(d.open_deals, 0) as open_deals,
        coalesce(d.open_amount, 0) as open_amount,
        d.cycle_days_median,
        t.target_amount,
        -- a quarter with no target, or a zero target, has no attainment: neither hit nor missed;
        -- nor has a planned quarter, which has not started
        case
            when t.target_amount > 0 and q.quarter_state <> 'planned'
                then coalesce(d.revenue, 0) / t.target_amount
        end as attainment
    from chunk as p
    cross join quarters as q
    left join deal_facts as d on d.partner_id = p.partner_id and d.quarter_idx = q.quarter_idx
    left join (
        select * from targets where partner_id in (select partner_id from chunk)
    ) as t on t.partner_id = p.partner_id and t.quarter_idx = q.quarter_idx
),

flagged as (
    select
        *,
        -- exactly at target is a hit; null = no target, or a quarter that is not over
        case when quarter_state = 'complete' then attainment < $miss_below end as is_missed,
        -- to date: attainment against the share of the quarter elapsed (1 = on pace)
        case when quarter_state = 'in_progress' then attainment / share_elapsed end as pace
    from quarterly
),

trailing_facts as (
    select
        *,
        sum(revenue) over last_4 as revenue_t4q,
        sum(won_deals) over last_4 as won_deals_t4q,
        sum(revenue) over (
            partition by partner_key order by quarter_idx rows between 7 preceding and 4 preceding
        ) as revenue_prev4q,
        count(*) over (
            partition by partner_key order by quarter_idx rows between 7 preceding and 4 preceding
        ) as prev4q_quarters,
        count_if(is_missed) over (
            partition by partner_key order by quarter_idx rows between 7 preceding and current row
        ) as missed_last_8,
        count_if(is_missed is not null) over (
            partition by partner_key order by quarter_idx rows between 7 preceding and current row
        ) as targeted_last_8,
        -- every hit starts a new run; quarters without a target belong to the run they sit in
        count_if(not is_missed) over (
            partition by partner_key order by quarter_idx rows unbounded preceding
        ) as hit_run
    from flagged
    window last_4 as (
        partition by partner_key order by quarter_idx rows between 3 preceding and current row
    )
),

streaks as (
    select
        *,
        count_if(is_missed) over (
            partition by partner_key, hit_run order by quarter_idx rows unbounded preceding
        ) as missed_streak
    from trailing_facts
),

-- a quarter that is not complete carries the last-8 counts of the last complete quarter, so its
-- status is the one the complete quarters give (a streak carries by itself: is_missed is null)
carried as (
    select
        * replace (
            last_value(
                case when quarter_state = 'complete' then coalesce(missed_last_8, 0) end
                ignore nulls
            ) over to_here as missed_last_8,
            last_value(
                case when quarter_state = 'complete' then coalesce(targeted_last_8, 0) end
                ignore nulls
            ) over to_here as targeted_last_8
        )
    from streaks
    window to_here as (partition by partner_key order by quarter_idx rows unbounded preceding)
),

final as (
    select
        p.* exclude (partner_key),
        s.quarter_idx,
        s.fiscal_quarter,
        s.fiscal_year,
        s.quarter_state,
        -- the quarter itself
        s.revenue,
        s.won_deals::integer as won_deals,
        s.lost_deals,
        s.open_deals,
        s.open_amount,
        s.cycle_days_median,
        s.target_amount,
        s.attainment,
        s.is_missed,
        case when s.is_missed then s.target_amount - s.revenue else 0 end as shortfall,
        case when s.quarter_state = 'in_progress' then s.share_elapsed end as share_elapsed,
        s.pace,
        -- trailing, as of this quarter
        s.revenue_t4q,
        s.won_deals_t4q::integer as won_deals_t4q,
        case when s.prev4q_quarters = 4 then s.revenue_prev4q end as revenue_prev4q,
        -- count_if over a window of nulls (no targeted quarter) is null: that is zero misses
        coalesce(s.missed_streak, 0)::integer as missed_streak,
        coalesce(s.missed_last_8, 0)::integer as missed_last_8,
        coalesce(s.targeted_last_8, 0)::integer as targeted_last_8,
        coalesce(i.investment_t4q, 0) as investment_t4q,
        earned_tier(s.revenue_t4q, $tier_floor_platinum, $tier_floor_gold, $tier_floor_silver)
            as earned_tier,
        a.alignment_score,
        case
            when coalesce(s.missed_last_8, 0) >= $replace_review_missed then 'replace_review'
            when coalesce(s.missed_streak, 0) >= $at_risk_streak then 'at_risk'
            when coalesce(s.missed_streak, 0) >= $watch_streak then 'watch'
            else 'ok'
        end as status,
        s.partner_key
    from carried as s
    join chunk as p on p.partner_key = s.partner_key
    left join (
        select * from partner_alignment where partner_key between $first_key and $last_key
    ) as a on a.partner_key = s.partner_key and a.quarter_idx = s.quarter_idx
    left join invested as i on i.partner_id = p.partner_id and i.quarter_idx = s.quarter_idx
)

select * from final
order by quarter_idx, partner_key
