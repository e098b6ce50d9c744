-- Values offered by the global filters: one row per (filter, value), in display order.
-- filter is one of segment, region, partner_type, program_tier, partner_manager.
-- Params: $scope (the partner managers the viewer may see, null for all): a partner manager is
-- offered only values their own partners have.
with visible as (
    select * from filtered_partners(null, null, null, null, null, $scope)
),

options as (
    select 'segment' as filter, segment as value,
        list_position(['SMB', 'Midmarket', 'Enterprise', 'Mixed'], segment) as rank
    from visible
    union
    select 'region', region, null from visible
    union
    select 'partner_type', partner_type, null from visible
    union
    select 'program_tier', program_tier,
        tier_rank(program_tier)
    from visible
    union
    select 'partner_manager', partner_manager, null from visible
)

select filter, value
from options
where value is not null
order by filter, rank nulls last, value
