-- Say against do: one row per filtered partner that declares a focus AND won revenue on deals
-- with a vertical in the trailing four quarters as of $as_of, the partners whose deals diverge
-- most from their declared focus first (then the larger revenue), at most $limit rows.
-- The distance is defined once, in queries/build/62_partner_say_do.sql.
-- Params: $as_of, $limit, and the filter lists $segment, $region, $partner_type, $program_tier,
-- $partner_manager, $scope.
--   distance              half the L1 distance between the declared focus and the won-revenue
--                         mix by vertical: 0 = the deals follow the declared focus, 1 = no won
--                         revenue in any declared vertical
--   revenue_with_vertical won revenue, trailing four quarters, on deals with a vertical
--   off_focus_revenue     distance x revenue_with_vertical: the revenue that would have to move
--                         between verticals for the deals to match the declared focus
--   declared, deals       the two vectors as text ("Finance 60% · Retail 40%"), largest first
--   declared_mix, deal_mix: the same as lists of {vertical, share} (for the chart)
--   partners_compared     filtered partners with a distance (before the limit)
--   declared_without_deals filtered partners that declare a focus but won no deal with a
--                         vertical in the trailing four quarters (so they have no distance)
with anchor as (
    select as_of_idx($as_of) as idx
),

compared as (
    select sd.partner_id, sd.distance, sd.revenue_with_vertical
    from partner_say_do as sd, anchor
    where sd.quarter_idx = anchor.idx
        and sd.partner_id in (
            select partner_id
            from filtered_partners($segment, $region, $partner_type, $program_tier, $partner_manager, $scope)
        )
),

focused as (
    select count(distinct partner_id) as focused_partners
    from filtered_partner_focus(
        $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
    )
    where focus_norm is not null
),

ranked as (
    select *, count(*) over () as partners_compared
    from compared
    order by distance desc, revenue_with_vertical desc, partner_id
    limit $limit
),

-- the two vectors, for the listed partners only
focus as (
    select pv.partner_id, pv.vertical, pv.focus_norm as share
    from partner_verticals as pv
    where pv.focus_norm > 0 and pv.partner_id in (select partner_id from ranked)
),

won as (
    select v.partner_id, v.vertical, sum(v.revenue) as revenue
    from partner_quarter_vertical as v, anchor
    where v.quarter_idx between anchor.idx - 3 and anchor.idx
        and v.vertical is not null
        and v.partner_id in (select partner_id from ranked)
    group by all
    having sum(v.revenue) > 0
),

mix as (
    select partner_id, vertical, revenue / sum(revenue) over (partition by partner_id) as share
    from won
),

vectors as (
    select
        partner_id,
        string_agg(vertical || ' ' || round(share * 100)::integer || '%', ' · '
            order by share desc, lower(vertical)) filter (where side = 'declared') as declared,
        string_agg(vertical || ' ' || round(share * 100)::integer || '%', ' · '
            order by share desc, lower(vertical)) filter (where side = 'deals') as deals,
        list({'vertical': vertical, 'share': share} order by lower(vertical))
            filter (where side = 'declared') as declared_mix,
        list({'vertical': vertical, 'share': share} order by lower(vertical))
            filter (where side = 'deals') as deal_mix
    from (
        select partner_id, vertical, share, 'declared' as side from focus
        union all
        select partner_id, vertical, share, 'deals' from mix
    )
    group by partner_id
)

select
    p.partner_id,
    p.partner_name,
    p.segment,
    p.program_tier,
    pq.earned_tier,
    p.partner_manager,
    r.distance,
    r.revenue_with_vertical,
    round(r.distance * r.revenue_with_vertical, 2) as off_focus_revenue,
    v.declared,
    v.deals,
    v.declared_mix,
    v.deal_mix,
    r.partners_compared,
    f.focused_partners - r.partners_compared as declared_without_deals
from ranked as r
cross join focused as f
join partners as p using (partner_id)
join vectors as v using (partner_id)
cross join anchor
join partner_quarter as pq on pq.partner_id = r.partner_id and pq.quarter_idx = anchor.idx
order by r.distance desc, r.revenue_with_vertical desc, r.partner_id
