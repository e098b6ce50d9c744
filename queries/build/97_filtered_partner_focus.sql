-- filtered_partner_focus: the partner_verticals rows (declared focus) of the partners that pass
-- the filters (passes_filters, 89_passes_filters.sql), in one scan with no join.
create macro filtered_partner_focus(
    segments, regions, partner_types, program_tiers, partner_managers, scopes
)
as table
select *
from partner_verticals
where passes_filters(
    segment, region, partner_type, program_tier, partner_manager,
    segments, regions, partner_types, program_tiers, partner_managers, scopes
)
