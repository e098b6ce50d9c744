-- Who to enable for a vertical: one row per filtered partner that declares a focus on $vertical
-- or won revenue in it over the trailing four quarters, as of $as_of; ranked by won revenue in
-- the vertical (then focus), or by focus first when $rank_by = 'focus'; at most $limit rows.
-- Params: $as_of, $vertical (null = the as-of fiscal year's top priority; a vertical the
-- database does not know gives no rows), $rank_by ('revenue' or 'focus'; anything else, null
-- included, means 'revenue'), $limit, and the filter lists $segment, $region, $partner_type,
-- $program_tier, $partner_manager, $scope.
--   focus_share             the partner's normalised declared focus on the vertical (0 when it
--                           declares other verticals only; null when it declares no focus)
--   revenue_vertical_t4q    won revenue in the vertical, trailing four quarters
--   vertical_share_of_deals revenue_vertical_t4q / the partner's won revenue with a vertical
--   certified_technical     contacts with role Technical and is_certified
--   status                  partner_quarter.status (the missed-targets logic)
--   signal                  proven (declares it and wins in it), enable (declares it, no won
--                           deal in it yet), undeclared (wins in it without declaring it)
--   candidates              partners that qualify (before the limit)
with anchor as (
    select as_of_idx($as_of) as idx, as_of_idx($as_of) // 4 as fiscal_year
),

target as (
    select coalesce(
        $vertical,
        (
            select vp.vertical
            from vendor_priorities as vp, anchor
            where vp.fiscal_year = anchor.fiscal_year and vp.priority_weight > 0
            order by vp.priority_weight desc, lower(vp.vertical)
            limit 1
        )
    ) as vertical
),

focus as (
    select pv.partner_id, pv.focus_norm as focus_share
    from filtered_partner_focus(
        $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
    ) as pv, target
    where pv.vertical = target.vertical
        and pv.focus_norm > 0
),

won as (
    select
        v.partner_id,
        sum(v.revenue) as revenue_vertical_t4q
    from filtered_vertical_revenue(
        as_of_idx($as_of) - 3, as_of_idx($as_of),
        $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
    ) as v, target
    where v.vertical = target.vertical
    group by v.partner_id
    having sum(v.revenue) > 0
),

candidates as (
    select
        partner_id,
        f.focus_share,
        coalesce(w.revenue_vertical_t4q, 0) as revenue_vertical_t4q
    from focus as f
    full join won as w using (partner_id)
),

ranked as (
    select *, count(*) over () as candidates
    from candidates
    order by
        case when $rank_by = 'focus' then coalesce(focus_share, 0) end desc nulls last,
        revenue_vertical_t4q desc,
        coalesce(focus_share, 0) desc,
        partner_id
    limit $limit
),

-- the partners' won revenue on deals with any vertical, for the listed partners only
with_vertical as (
    select v.partner_id, sum(v.revenue) as revenue_with_vertical
    from partner_quarter_vertical as v, anchor
    where v.quarter_idx between anchor.idx - 3 and anchor.idx
        and v.vertical is not null
        and v.partner_id in (select partner_id from ranked)
    group by v.partner_id
),

-- 0 for a partner that declares other verticals only, null for one that declares no focus
declaring as (
    select distinct partner_id
    from partner_verticals
    where focus_norm is not null and partner_id in (select partner_id from ranked)
),

technical as (
    select c.partner_id, count(*) as certified_technical
    from contacts as c
    where c.role = 'Technical' and c.is_certified and c.partner_id in (select partner_id from ranked)
    group by c.partner_id
)

select
    row_number() over (
        order by
            case when $rank_by = 'focus' then coalesce(r.focus_share, 0) end desc nulls last,
            r.revenue_vertical_t4q desc,
            coalesce(r.focus_share, 0) desc,
            r.partner_id
    ) as rank,
    target.vertical,
    r.partner_id,
    p.partner_name,
    p.segment,
    p.program_tier,
    pq.earned_tier,
    pq.status,
    p.partner_manager,
    case
        when r.focus_share is not null then r.focus_share
        when d.partner_id is not null then 0.0
    end as focus_share,
    r.revenue_vertical_t4q,
    r.revenue_vertical_t4q / nullif(wv.revenue_with_vertical, 0) as vertical_share_of_deals,
    pq.revenue_t4q,
    coalesce(t.certified_technical, 0) as certified_technical,
    case
        when r.focus_share > 0 and r.revenue_vertical_t4q > 0 then 'proven'
        when r.focus_share > 0 then 'enable'
        else 'undeclared'
    end as signal,
    r.candidates
from ranked as r
cross join anchor
cross join target
join partners as p on p.partner_id = r.partner_id
join partner_quarter as pq on pq.partner_id = r.partner_id and pq.quarter_idx = anchor.idx
left join declaring as d on d.partner_id = r.partner_id
left join with_vertical as wv on wv.partner_id = r.partner_id
left join technical as t on t.partner_id = r.partner_id
order by rank
