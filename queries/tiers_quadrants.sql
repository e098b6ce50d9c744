-- Velocity x volume quadrants and resources against revenue: one row per earned tier
-- (dimension 'earned_tier') and one per quadrant (dimension 'quadrant'), for the filtered partners
-- as of $as_of. Every filtered partner is in exactly one tier and one quadrant.
-- Params: $as_of, $limit (flagged partners listed per row, null = all), the filter lists $segment,
-- $region, $partner_type, $program_tier, $partner_manager, $scope.
-- Quadrants: velocity = won_deals_t4q, volume = revenue_t4q. Partners with both above zero are
-- "on the chart" and the quadrant lines are their medians. A partner is high velocity when
-- won_deals_t4q > median_won_deals and high volume when revenue_t4q > median_revenue (at the
-- median counts as low). Partners with no won deal or no won revenue in the window cannot sit on
-- a log axis: they form the group 'no_revenue'. Keys: high_high, high_low, low_high, low_low
-- (velocity first), no_revenue.
--   partners, revenue_t4q, investment_t4q (partner_quarter, the same four quarters)
--   partner_share, revenue_share, investment_share: of the filtered partners' totals
--   revenue_per_invested  revenue_t4q / investment_t4q of the row (null without investment)
--   median_won_deals, median_revenue: the quadrant lines (the same on every row)
--   significant_investment  the median investment_t4q over the filtered partners with any
--   flagged_partners  partners in low_low or no_revenue with investment_t4q >=
--                     significant_investment; flagged lists them (largest investment first,
--                     at most $limit per row); flagged_total counts them over all rows
with scoped as (
    select
        p.partner_id,
        p.partner_name,
        p.segment,
        p.partner_manager,
        p.earned_tier,
        p.won_deals_t4q,
        p.revenue_t4q,
        p.investment_t4q,
        p.won_deals_t4q > 0 and p.revenue_t4q > 0 as is_on_chart
    from partner_scorecard(
        $as_of, $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
    ) as p
),

lines as (
    select
        median(won_deals_t4q) filter (where is_on_chart) as median_won_deals,
        median(revenue_t4q) filter (where is_on_chart) as median_revenue
    from scoped
),

threshold as (
    select median(investment_t4q) filter (where investment_t4q > 0) as significant_investment
    from scoped
),

classified as (
    select
        s.*,
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
    tier_rank(group_key),
    list_position(['high_high', 'high_low', 'low_high', 'low_low', 'no_revenue'], group_key)
