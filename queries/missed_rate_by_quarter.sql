-- Miss rate and shortfall: one row per fiscal quarter and segment (plus one 'All segments' row per
-- quarter), over the $quarters quarters ending at $as_of, for the filtered partners that had a
-- target above 0 that quarter. Quarters or segments without any such partner have no row.
-- Params: $as_of, $quarters (how many; default 8), and the filter lists $segment, $region,
-- $partner_type, $program_tier, $partner_manager, $scope.
--   targeted_partners     partners with a target > 0 that quarter (is_missed not null)
--   missed_partners       of those, partners that missed (is_missed, partner_quarter)
--   miss_rate             missed_partners / targeted_partners (a fraction)
--   shortfall             sum of partner_quarter.shortfall (target - won revenue of a missed
--                         quarter), in currency; hits do not offset misses
--   target, revenue       sum of targets and of won revenue over the targeted partners
with per_segment as (
    select
        pq.quarter_idx,
        pq.segment,
        count(*) as targeted_partners,
        count(*) filter (where pq.is_missed) as missed_partners,
        coalesce(sum(pq.shortfall) filter (where pq.is_missed), 0) as shortfall,
        sum(pq.target_amount) as target,
        sum(pq.revenue) as revenue
    from filtered_partner_quarters(
        as_of_idx($as_of) - coalesce($quarters, 8) + 1, as_of_idx($as_of),
        $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
    ) as pq
    where pq.is_missed is not null
    -- the quarter's label comes from quarters below: grouping on the integer alone is cheaper
    group by pq.quarter_idx, pq.segment
),

-- the totals add up the (small) per-segment rows instead of scanning the partners twice
both_levels as (
    select *, false as is_total from per_segment
    union all
    select
        quarter_idx,
        'All segments' as segment,
        sum(targeted_partners)::bigint,
        sum(missed_partners)::bigint,
        sum(shortfall),
        sum(target),
        sum(revenue),
        true as is_total
    from per_segment
    group by quarter_idx
)

select
    q.fiscal_quarter,
    b.quarter_idx,
    b.segment,
    b.is_total,
    targeted_partners,
    missed_partners,
    missed_partners / targeted_partners as miss_rate,
    shortfall,
    target,
    revenue
from both_levels as b
join quarters as q using (quarter_idx)
order by
    b.quarter_idx,
    b.is_total desc,
    list_position(['SMB', 'Midmarket', 'Enterprise', 'Mixed'], b.segment)
