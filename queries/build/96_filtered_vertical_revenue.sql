-- filtered_vertical_revenue: the partner_quarter_vertical rows (won revenue per partner, quarter
-- and vertical) of quarters first_idx .. last_idx for the partners that pass the filters
-- (passes_filters, 89_passes_filters.sql). The table carries the partner's filter columns, so
-- this is one scan with no join.
create macro filtered_vertical_revenue(
    first_idx, last_idx, segments, regions, partner_types, program_tiers, partner_managers, scopes
)
as table
select *
from partner_quarter_vertical
where quarter_idx in (select unnest(range(first_idx, last_idx + 1)))
    and passes_filters(
        segment, region, partner_type, program_tier, partner_manager,
        segments, regions, partner_types, program_tiers, partner_managers, scopes
    )
