-- Velocity x volume quadrants and resources against revenue: one row per earned tier
-- (dimension 'earned_tier') and one per quadrant (dimension 'quadrant'), for the filtered partners
-- as of $as_of. Every filtered partner is in exactly one tier and one quadrant.
-- Params: $as_of, $limit (flagged partners listed per row, null = all), the five filter lists.
-- Quadrants: velocity = won_deals_t4q, volume = revenue_t4q. Partners with both above zero are
-- "on the chart" and the quadrant lines are their medians. A partner is high velocity when
-- won_deals_t4q > median_won_deals and high volume when revenue_t4q > median_revenue (at the
-- median counts as low). Partners with no won deal or no won revenue in the window cannot sit on
-- a log axis: they form the group 'no_revenue'. Keys: high_high, high_low, low_high, low_low
-- (velocity first), no_revenue.
--   partners, revenue_t4q, investment_t4q (partner_investment, the same four quarters)
--   partner_share, revenue_share, investment_share: of the filtered partners' totals
--   revenue_per_invested  revenue_t4q / investment_t4q of the row (null without investment)
--   median_won_deals, median_revenue: the quadrant lines (the same on every row)
--   significant_investment  the median investment_t4q over the filtered partners with any
--   flagged_partners  partners in low_low or no_revenue with investment_t4q >=
--                     significant_investment; flagged lists them (largest investment first,
--                     at most $limit per row); flagged_total counts them over all rows
with as_of as materialized (
    -- the as-of quarter index, computed once: comparing with the macro itself in a join or
    -- filter hides the quarter from the scan and makes the query ~4x slower at 100k partners
    select as_of_idx($as_of) as quarter_idx
),

scoped as (
    select
        p.partner_id,
        p.partner_name,
        p.segment,
        p.partner_manager,
        pq.earned_tier,
        pq.won_deals_t4q,
        pq.revenue_t4q,
        pq.won_deals_t4q > 0 and pq.revenue_t4q > 0 as is_on_chart
    from filtered_partners($segment, $region, $partner_type, $program_tier, $partner_manager, $scope) as p
    join partner_quarter as pq
        on pq.partner_id = p.partner_id and pq.quarter_idx = (select quarter_idx from as_of)
),

invested as (
    select i.partner_id, sum(i.investment_t4q) as investment_t4q
    from partner_investment as i
    where i.quarter_idx = (select quarter_idx from as_of)
    group by i.partner_id
),

lines as (
    select
        median(won_deals_t4q) filter (where is_on_chart) as median_won_deals,
        median(revenue_t4q) filter (where is_on_chart) as median_revenue
    from scoped
),

threshold as (
    select median(i.investment_t4q) as significant_investment
    from invested as i
    semi join scoped as s on s.partner_id = i.partner_id
    where i.investment_t4q > 0
),

classified as (
    select
        s.*,
        coalesce(i.investment_t4q, 0) as investment_t4q,
        case
            when not s.is_on_chart then 'no_revenue'
            else
                case when s.won_deals_t4q > l.median_won_deals then 'high' else 'low' end
                || '_'
                || case when s.revenue_t4q > l.median_revenue then 'high' else 'low' end
        end as quadrant,
        l.median_won_deals,
        l.median_revenue,
        t.significant_investment
    from scoped as s
    cross join lines as l
    cross join threshold as t
    left join invested as i on i.partner_id = s.partner_id
),

flagged as (
    select
        *,
        quadrant in ('low_low', 'no_revenue')
        and investment_t4q > 0
        and investment_t4q >= significant_investment as is_flagged
    from classified
),

grouped as (
    select
        case when grouping(quadrant) = 1 then 'earned_tier' else 'quadrant' end as dimension,
        coalesce(earned_tier, quadrant) as group_key,
        count(*) as partners,
        sum(revenue_t4q) as revenue_t4q,
        sum(investment_t4q) as investment_t4q,
        any_value(median_won_deals) as median_won_deals,
        any_value(median_revenue) as median_revenue,
        any_value(significant_investment) as significant_investment,
        count(*) filter (where is_flagged) as flagged_partners,
        list(
            {
                'partner_id': partner_id,
                'partner_name': partner_name,
                'segment': segment,
                'partner_manager': partner_manager,
                'earned_tier': earned_tier,
                'quadrant': quadrant,
                'won_deals_t4q': won_deals_t4q,
                'revenue_t4q': revenue_t4q,
                'investment_t4q': investment_t4q
            }
            order by investment_t4q desc, partner_id
        ) filter (where is_flagged) as flagged_all
    from flagged
    group by grouping sets ((earned_tier), (quadrant))
)

select
    dimension,
    group_key,
    partners,
    revenue_t4q,
    investment_t4q,
    partners / sum(partners) over by_dimension as partner_share,
    revenue_t4q / nullif(sum(revenue_t4q) over by_dimension, 0) as revenue_share,
    investment_t4q / nullif(sum(investment_t4q) over by_dimension, 0) as investment_share,
    revenue_t4q / nullif(investment_t4q, 0) as revenue_per_invested,
    median_won_deals,
    median_revenue,
    significant_investment,
    flagged_partners,
    sum(flagged_partners) over by_dimension as flagged_total,
    coalesce(case when $limit is null then flagged_all else flagged_all[1:$limit] end, [])
        as flagged
from grouped
window by_dimension as (partition by dimension)
order by
    dimension,
    list_position(
        ['Platinum', 'Gold', 'Silver', 'Registered',
            'high_high', 'high_low', 'low_high', 'low_low', 'no_revenue'],
        group_key
    )
