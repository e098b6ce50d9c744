-- Revenue per invested unit over the trailing four quarters to $as_of: one row for the partner,
-- one for its earned-tier peers and one for its segment peers (peers include the partner).
-- Params: $partner_id, $as_of, $scope (the partner managers the viewer may see; null for all).
--   revenue_per_invested = won revenue_t4q / investment over the same four quarters
--   (partner_quarter.investment_t4q; null when nothing was invested)
with facts as (
    select partner_id, segment, earned_tier, revenue_t4q, investment_t4q as invested_t4q
    from partner_scorecard($as_of, null, null, null, null, null, $scope)
),

me as (
    select partner_id, segment, earned_tier from facts where partner_id = $partner_id
),

groups as (
    select 1 as rank, 'This partner' as peer_group, f.*
    from facts as f join me using (partner_id)
    union all
    select 2, 'Earned tier: ' || me.earned_tier, f.*
    from facts as f join me on f.earned_tier = me.earned_tier
    union all
    select 3, 'Segment: ' || me.segment, f.*
    from facts as f join me on f.segment = me.segment
)

select
    peer_group,
    count(*) as partners,
    sum(revenue_t4q) as revenue_t4q,
    sum(invested_t4q) as invested_t4q,
    sum(revenue_t4q) / nullif(sum(invested_t4q), 0) as revenue_per_invested
from groups
group by rank, peer_group
order by rank
