-- Priorities over time and the channel's response: one row per (fiscal year, vertical), for the
-- fiscal years up to the as-of quarter's that have vendor priorities or won revenue (of the
-- filtered partners), and every vertical prioritised or sold in any of those years.
-- Params: $as_of and the filter lists $segment, $region, $partner_type, $program_tier,
-- $partner_manager, $scope.
--   priority_weight, priority_share  the vendor's weight, and weight / the year's total weight
--                                    (null when the year has no priorities)
--   is_priority                      weight > 0 in that year
--   revenue, revenue_share           won revenue in the vertical in that fiscal year (only the
--                                    quarters up to the as-of quarter; deals without a vertical
--                                    left out), and its share of the year's revenue with a
--                                    vertical (null when the year has no revenue data)
--   quarters_with_data               quarters of that fiscal year in the data up to the as-of
--                                    quarter (fewer than 4: a partial year)
with anchor as (
    select as_of_idx($as_of) as idx, as_of_idx($as_of) // 4 as fiscal_year
),

weights as (
    select
        vp.fiscal_year,
        vp.vertical,
        vp.priority_weight,
        vp.priority_weight
        / nullif(sum(vp.priority_weight) over (partition by vp.fiscal_year), 0) as priority_share
    from vendor_priorities as vp, anchor
    where vp.fiscal_year <= anchor.fiscal_year
),

revenue as (
    -- quarter_idx // 4 is the fiscal year (quarter_idx = fiscal_year * 4 + quarter - 1)
    select v.quarter_idx // 4 as fiscal_year, v.vertical, sum(v.revenue) as revenue
    from filtered_vertical_revenue(
        (select min(quarter_idx) from partner_quarter_vertical), as_of_idx($as_of),
        $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
    ) as v
    where v.vertical is not null
    group by all
),

data_years as (
    select q.fiscal_year, count(*) as quarters_with_data
    from quarters as q, anchor
    where q.quarter_idx <= anchor.idx
    group by all
),

years as (
    select fiscal_year from weights where priority_share is not null
    union
    select fiscal_year from revenue
),

verticals as (
    select vertical from weights where priority_weight > 0
    union
    select vertical from revenue
),

grid as (
    select
        y.fiscal_year,
        x.vertical,
        w.priority_weight,
        case
            when max(w.priority_share) over (partition by y.fiscal_year) is not null
                then coalesce(w.priority_share, 0)
        end as priority_share,
        coalesce(w.priority_weight, 0) > 0 as is_priority,
        case when d.fiscal_year is not null then coalesce(r.revenue, 0) end as revenue,
        d.quarters_with_data
    from years as y
    cross join verticals as x
    left join weights as w on w.fiscal_year = y.fiscal_year and w.vertical = x.vertical
    left join revenue as r on r.fiscal_year = y.fiscal_year and r.vertical = x.vertical
    left join data_years as d on d.fiscal_year = y.fiscal_year
)

select
    fiscal_year,
    vertical,
    priority_weight,
    priority_share,
    is_priority,
    revenue,
    revenue / nullif(sum(revenue) over (partition by fiscal_year), 0) as revenue_share,
    coalesce(quarters_with_data, 0) as quarters_with_data
from grid
order by fiscal_year, lower(vertical)
