-- filtered_partner_quarters: the partner_quarter rows of quarters first_idx .. last_idx for the
-- partners that pass the filters (the same rule). partner_quarter carries each partner's own
-- columns, so this is one scan with no join, and the quarter list lets DuckDB skip the other
-- quarters' row groups (a range against a subquery would not).
create macro filtered_partner_quarters(
    first_idx, last_idx, segments, regions, partner_types, program_tiers, partner_managers, scopes
)
as table
select *
from partner_quarter
where quarter_idx in (select unnest(range(first_idx, last_idx + 1)))
    and passes_filters(
        segment, region, partner_type, program_tier, partner_manager,
        segments, regions, partner_types, program_tiers, partner_managers, scopes
    )
