-- passes_filters: whether a partner with these attributes passes the global filters and may be
-- seen by the viewer: the one filter rule. Each list argument holds the allowed values, or null
-- for "all".
--   scopes: the partner managers whose partners the signed-in viewer may see (null: every
--   partner). It comes from the sign-in, never from the URL or a widget, and it narrows every
--   number on every page, peers and channel comparisons included.
create macro passes_filters(
    segment, region, partner_type, program_tier, partner_manager,
    segments, regions, partner_types, program_tiers, partner_managers, scopes
) as
(segments is null or segment = any(segments))
and (regions is null or region = any(regions))
and (partner_types is null or partner_type = any(partner_types))
and (program_tiers is null or program_tier = any(program_tiers))
and (partner_managers is null or partner_manager = any(partner_managers))
and (scopes is null or partner_manager = any(scopes))
