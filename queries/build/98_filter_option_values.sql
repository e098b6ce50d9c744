-- filter_option_values(scopes): the values the global filters offer, one row per (filter,
-- value) with its display rank (null: alphabetical), over the partners the viewer may see
-- (scopes: their partner managers; null = every partner). A partner manager is offered only
-- values their own partners have. filter is one of segment, region, partner_type, program_tier,
-- partner_manager. The load keeps the answer for everyone in filter_values
-- (99_filter_values.sql); queries/filter_options.sql reads that, or this for a scoped viewer.
create macro filter_option_values(scopes) as table
with visible as (
    select * from filtered_partners(null, null, null, null, null, scopes)
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

select filter, value, rank
from options
where value is not null
