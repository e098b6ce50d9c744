-- Segments side by side: one row per segment with filtered partners, then 'All segments' (when
-- there is more than one segment), as of $as_of. Params: $as_of and the filter lists $segment,
-- $region, $partner_type, $program_tier, $partner_manager, $scope.
--   partners            filtered partners in the segment
--   revenue_t4q         their won revenue, trailing four quarters
--   won_deals_t4q       their won deals over the same quarters
--   avg_deal_size       revenue_t4q / won_deals_t4q (null without won deals)
--   deals_per_partner   won_deals_t4q / partners
--   cycle_days_median   median days from created_on to closed_on of the won deals in those four
--                       quarters that have a created_on; cycle_deals counts them (null: none)
--   attainment          revenue / target in the as-of quarter, over partners with a target > 0
--                       (as the Overview's attainment); null without targets
--   investment_t4q      investment over the same four quarters (partner_quarter)
--   investment_per_partner  investment_t4q / partners
--   revenue_per_invested    revenue_t4q / investment_t4q (null without investment)
with as_of as materialized (
    -- the as-of quarter index, computed once: comparing with the macro itself in a join or
    -- filter hides the quarter from the scan and makes the query ~4x slower at 100k partners
    select as_of_idx($as_of) as quarter_idx
),

scoped as (
    select
        p.partner_id,
        p.segment,
        p.revenue_t4q,
        p.won_deals_t4q,
        p.revenue,
        p.target_amount,
        p.investment_t4q
    from partner_scorecard(
        $as_of, $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
    ) as p
),

-- the exact median from a histogram of cycle days (a few hundred distinct values), which is much
-- cheaper than sorting every deal: the value at positions (n+1)//2 and (n+2)//2, averaged
cycle_histogram as (
    select s.segment, d.cycle_days, count(*) as deals
    from deals as d
    join scoped as s on s.partner_id = d.partner_id
    cross join as_of as a
    where d.quarter_idx between a.quarter_idx - 3 and a.quarter_idx
        and d.status = 'won'
        and d.cycle_days is not null
    group by s.segment, d.cycle_days
),

cycle_cumulative as (
    select
        segment,
        cycle_days,
        sum(deals) over (partition by segment order by cycle_days) as deals_up_to,
        sum(deals) over (partition by segment) as cycle_deals
    from (
        select segment, cycle_days, deals from cycle_histogram
        union all
        select null, cycle_days, sum(deals) from cycle_histogram group by cycle_days
    )
),

cycles as (
    select
        segment,
        (
            min(cycle_days) filter (where deals_up_to >= (cycle_deals + 1) // 2)
            + min(cycle_days) filter (where deals_up_to >= (cycle_deals + 2) // 2)
        ) / 2 as cycle_days_median,
        any_value(cycle_deals)::bigint as cycle_deals
    from cycle_cumulative
    group by segment
),

segments as (
    select
        s.segment,
        count(*) as partners,
        sum(s.revenue_t4q) as revenue_t4q,
        sum(s.won_deals_t4q)::bigint as won_deals_t4q,
        sum(s.revenue) filter (where s.target_amount > 0)
        / sum(s.target_amount) filter (where s.target_amount > 0) as attainment,
        coalesce(sum(s.investment_t4q), 0) as investment_t4q
    from scoped as s
    group by grouping sets ((s.segment), ())
)

select
    coalesce(g.segment, 'All segments') as segment,
    g.partners,
    g.revenue_t4q,
    g.won_deals_t4q,
    g.revenue_t4q / nullif(g.won_deals_t4q, 0) as avg_deal_size,
    g.won_deals_t4q / g.partners as deals_per_partner,
    c.cycle_days_median,
    coalesce(c.cycle_deals, 0) as cycle_deals,
    g.attainment,
    g.investment_t4q,
    g.investment_t4q / g.partners as investment_per_partner,
    g.revenue_t4q / nullif(g.investment_t4q, 0) as revenue_per_invested
from segments as g
left join cycles as c on c.segment is not distinct from g.segment
where g.partners > 0
    and (g.segment is not null or (select count(distinct segment) from scoped) > 1)
order by list_position(['SMB', 'Midmarket', 'Enterprise', 'Mixed', null], g.segment)
