-- Partners per earned tier and per status for the filtered partners as of $as_of: one row per
-- (dimension, value), every tier and status present even at zero.
-- Params: $as_of and the five filter lists.
with as_of as materialized (
    -- the as-of quarter index, computed once (the macro inside a join hides it from the scan)
    select as_of_idx($as_of) as quarter_idx
),

scoped as (
    select pq.earned_tier, pq.status
    from filtered_partners($segment, $region, $partner_type, $program_tier, $partner_manager, $scope) as p
    join partner_quarter as pq
        on pq.partner_id = p.partner_id and pq.quarter_idx = (select quarter_idx from as_of)
),

dims as (
    select 'earned_tier' as dimension, unnest(['Platinum', 'Gold', 'Silver', 'Registered']) as value,
        generate_subscripts(['Platinum', 'Gold', 'Silver', 'Registered'], 1) as rank
    union all
    select 'status', unnest(['ok', 'watch', 'at_risk', 'replace_review']),
        generate_subscripts(['ok', 'watch', 'at_risk', 'replace_review'], 1)
)

select
    d.dimension,
    d.value,
    count(s.earned_tier) as partners,
    count(s.earned_tier) / nullif(sum(count(s.earned_tier)) over (partition by d.dimension), 0)
        as share
from dims as d
left join scoped as s
    on (d.dimension = 'earned_tier' and s.earned_tier = d.value)
    or (d.dimension = 'status' and s.status = d.value)
group by d.dimension, d.value, d.rank
order by d.dimension, d.rank
