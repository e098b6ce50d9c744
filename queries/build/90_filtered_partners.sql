-- filtered_partners: the partners that pass the global filters and that the viewer may see.
-- Each argument is a list of allowed values, or null for "all". Every page query joins through
-- this one definition.
--   scopes: the partner managers whose partners the signed-in viewer may see (null: every
--   partner). It comes from the sign-in, never from the URL or a widget, and it narrows every
--   number on every page, peers and channel comparisons included.
create macro filtered_partners(
    segments, regions, partner_types, program_tiers, partner_managers, scopes
)
as table
select *
from partners
where (segments is null or segment = any(segments))
    and (regions is null or region = any(regions))
    and (partner_types is null or partner_type = any(partner_types))
    and (program_tiers is null or program_tier = any(program_tiers))
    and (partner_managers is null or partner_manager = any(partner_managers))
    and (scopes is null or partner_manager = any(scopes))
