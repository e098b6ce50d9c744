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
with as_of as materialized (
    -- the as-of quarter index, computed once (the macro inside a join hides it from the scan)
    select as_of_idx($as_of) as quarter_idx
),

per_segment as (
    select
        pq.fiscal_quarter,
        pq.quarter_idx,
        p.segment,
        count(*) as targeted_partners,
        count(*) filter (where pq.is_missed) as missed_partners,
        coalesce(sum(pq.shortfall) filter (where pq.is_missed), 0) as shortfall,
        sum(pq.target_amount) as target,
        sum(pq.revenue) as revenue
    from filtered_partners($segment, $region, $partner_type, $program_tier, $partner_manager, $scope) as p
    join partner_quarter as pq on pq.partner_id = p.partner_id
    -- an IN list lets DuckDB filter the scan before the join (a range against the CTE does not)
    where pq.is_missed is not null
        and pq.quarter_idx in (
            select unnest(range(quarter_idx - coalesce($quarters, 8) + 1, quarter_idx + 1))
            from as_of
        )
    group by pq.fiscal_quarter, pq.quarter_idx, p.segment
),

-- the totals add up the (small) per-segment rows instead of scanning the partners twice
both_levels as (
    select *, false as is_total from per_segment
    union all
    select
        fiscal_quarter,
        quarter_idx,
        'All segments' as segment,
        sum(targeted_partners)::bigint,
        sum(missed_partners)::bigint,
        sum(shortfall),
        sum(target),
        sum(revenue),
        true as is_total
    from per_segment
    group by fiscal_quarter, quarter_idx
)

select
    fiscal_quarter,
    quarter_idx,
    segment,
    is_total,
    targeted_partners,
    missed_partners,
    missed_partners / targeted_partners as miss_rate,
    shortfall,
    target,
    revenue
from both_levels
order by
    quarter_idx,
    is_total desc,
    list_position(['SMB', 'Midmarket', 'Enterprise', 'Mixed'], segment)
