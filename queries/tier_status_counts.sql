-- Partners per earned tier and per status for the filtered partners as of $as_of: one row per
-- (dimension, value), every tier and status present even at zero.
-- Params: $as_of and the filter lists $segment, $region, $partner_type, $program_tier,
-- $partner_manager, $scope.
with scoped as (
    select p.earned_tier, p.status
    from partner_scorecard(
        $as_of, $segment, $region, $partner_type, $program_tier, $partner_manager, $scope
    ) as p
),

-- every tier, highest first, and every status, mildest first (queries/build/01_tier_order.sql,
-- 03_status_order.sql)
dims as (
    select 'earned_tier' as dimension, unnest(tier_order()) as value
    union all
    select 'status', unnest(status_order())
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
group by d.dimension, d.value
order by d.dimension, coalesce(tier_rank(d.value), status_rank(d.value))
