-- filtered_partners: the partners that pass the global filters. Each argument is a list of
-- allowed values, or null for "all". Every page query joins through this one definition.
create macro filtered_partners(segments, regions, partner_types, program_tiers, partner_managers)
as table
select *
from partners
where (segments is null or segment = any(segments))
    and (regions is null or region = any(regions))
    and (partner_types is null or partner_type = any(partner_types))
    and (program_tiers is null or program_tier = any(program_tiers))
    and (partner_managers is null or partner_manager = any(partner_managers))
