-- Values offered by the global filters: one row per (filter, value), in display order.
-- filter is one of segment, region, partner_type, program_tier, partner_manager.
with options as (
    select 'segment' as filter, segment as value,
        list_position(['SMB', 'Midmarket', 'Enterprise', 'Mixed'], segment) as rank
    from partners
    union
    select 'region', region, null from partners
    union
    select 'partner_type', partner_type, null from partners
    union
    select 'program_tier', program_tier,
        list_position(['Platinum', 'Gold', 'Silver', 'Registered'], program_tier)
    from partners
    union
    select 'partner_manager', partner_manager, null from partners
)

select filter, value
from options
where value is not null
order by filter, rank nulls last, value
