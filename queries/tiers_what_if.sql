-- What-if tier floors: one row per (earned tier under the configured floors, tier under the
-- floors given) that has partners, for the filtered partners as of $as_of.
-- Params: $floor_platinum, $floor_gold, $floor_silver (revenue_t4q floors; null = the floor the
-- database was built with, table settings), $as_of and the five filter lists.
-- The what-if tier applies the rule of earned_tier (partner_quarter) to the given floors:
-- Platinum when revenue_t4q >= the Platinum floor, else Gold, else Silver, else Registered.
--   tiers_moved  tiers climbed (> 0) or dropped (< 0) under the given floors
--   partners, revenue_t4q: partners and their revenue_t4q
-- Totals over all rows (the same on every row): moved_up, moved_down (partners),
--   changed_partners and changed_revenue_t4q (partners whose tier would change, and their
--   revenue_t4q)
with as_of as materialized (
    -- the as-of quarter index, computed once: comparing with the macro itself in a join or
    -- filter hides the quarter from the scan and makes the query ~4x slower at 100k partners
    select as_of_idx($as_of) as quarter_idx
),

floors as (
    select
        coalesce($floor_platinum, tier_floor_platinum) as platinum,
        coalesce($floor_gold, tier_floor_gold) as gold,
        coalesce($floor_silver, tier_floor_silver) as silver
    from settings
),

retiered as (
    select
        pq.earned_tier,
        case
            when pq.revenue_t4q >= f.platinum then 'Platinum'
            when pq.revenue_t4q >= f.gold then 'Gold'
            when pq.revenue_t4q >= f.silver then 'Silver'
            else 'Registered'
        end as what_if_tier,
        pq.revenue_t4q
    from filtered_partners($segment, $region, $partner_type, $program_tier, $partner_manager, $scope) as p
    join partner_quarter as pq
        on pq.partner_id = p.partner_id and pq.quarter_idx = (select quarter_idx from as_of)
    cross join floors as f
),

cells as (
    select
        earned_tier,
        what_if_tier,
        any_value(
            list_position(['Platinum', 'Gold', 'Silver', 'Registered'], earned_tier)
            - list_position(['Platinum', 'Gold', 'Silver', 'Registered'], what_if_tier)
        ) as tiers_moved,
        count(*) as partners,
        sum(revenue_t4q) as revenue_t4q
    from retiered
    group by earned_tier, what_if_tier
)

select
    *,
    coalesce(sum(partners) filter (where tiers_moved > 0) over (), 0)::bigint as moved_up,
    coalesce(sum(partners) filter (where tiers_moved < 0) over (), 0)::bigint as moved_down,
    coalesce(sum(partners) filter (where tiers_moved <> 0) over (), 0)::bigint as changed_partners,
    coalesce(sum(revenue_t4q) filter (where tiers_moved <> 0) over (), 0) as changed_revenue_t4q
from cells
order by
    list_position(['Platinum', 'Gold', 'Silver', 'Registered'], earned_tier),
    list_position(['Platinum', 'Gold', 'Silver', 'Registered'], what_if_tier)
