-- Velocity x volume chart marks, for the filtered partners with won deals and won revenue in the
-- trailing four quarters as of $as_of (the others cannot sit on a log axis; tiers_quadrants
-- counts them). Up to 5,000 such partners: one row per partner. Above that: one row per earned
-- tier and occupied log-scale cell (1/20 of a decade on each axis), placed at its partners'
-- geometric mean, so 100,000 partners draw as a few thousand marks; a cell holding a single
-- partner is still that partner, with its id and name.
-- Params: $as_of and the filter lists $segment, $region, $partner_type, $program_tier,
-- $partner_manager, $scope.
--   partners        partners in the mark
--   won_deals_t4q, revenue_t4q: the mark's position (velocity, volume)
--   revenue_total   their summed revenue_t4q
--   won_deals_min, won_deals_max: the range of won_deals_t4q inside the mark
--   partner_id, partner_name: set when the mark is one partner
with plotted as (
    select
        p.partner_id,
        p.partner_name,
        p.earned_tier,
        p.won_deals_t4q,
        p.revenue_t4q,
        count(*) over () as plotted_partners
    from partner_scorecard(
        $as_of, $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
    ) as p
    where p.won_deals_t4q > 0 and p.revenue_t4q > 0
)

select
    earned_tier,
    count(*) as partners,
    exp(avg(ln(won_deals_t4q))) as won_deals_t4q,
    exp(avg(ln(revenue_t4q))) as revenue_t4q,
    sum(revenue_t4q) as revenue_total,
    min(won_deals_t4q) as won_deals_min,
    max(won_deals_t4q) as won_deals_max,
    case when count(*) = 1 then any_value(partner_id) end as partner_id,
    case when count(*) = 1 then any_value(partner_name) end as partner_name
from plotted
group by
    earned_tier,
    case when plotted_partners <= 5000 then partner_id end,
    case when plotted_partners > 5000 then floor(log10(won_deals_t4q) * 20) end,
    case when plotted_partners > 5000 then floor(log10(revenue_t4q) * 20) end
order by
    tier_rank(earned_tier),
    partners desc,
    revenue_t4q desc,
    won_deals_t4q desc
