-- filtered_partners: the partners that pass the global filters and that the viewer may see.
create macro filtered_partners(
    segments, regions, partner_types, program_tiers, partner_managers, scopes
)
as table
select *
from partners
where passes_filters(
    segment, region, partner_type, program_tier, partner_manager,
    segments, regions, partner_types, program_tiers, partner_managers, scopes
)
