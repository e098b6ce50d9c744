-- partner_scorecard(as_of, segments, regions, partner_types, program_tiers, partner_managers,
-- scopes): one row per partner that passes the filters (filtered_partners, same arguments), as of
-- the quarter labelled as_of ('YYYY-Qn'; null = the default as-of quarter, as_of_idx). The row
-- holds the partner's own columns and its partner_quarter row at that quarter, plus tier_gap
-- (51_tier_gap.sql). Page queries that show partners as of a quarter select from it.
-- The as-of index is computed once, in a materialized CTE: comparing with as_of_idx itself in
-- the join hides the quarter from the partner_quarter scan and makes a query several times slower
-- at 100,000 partners.
create macro partner_scorecard(
    as_of, segments, regions, partner_types, program_tiers, partner_managers, scopes
)
as table
with as_of_quarter as materialized (
    select as_of_idx(as_of) as quarter_idx
)

select
    p.*,
    pq.* exclude (partner_id),
    tier_gap(p.program_tier, pq.earned_tier) as tier_gap
from filtered_partners(
    segments, regions, partner_types, program_tiers, partner_managers, scopes
) as p
join partner_quarter as pq
    on pq.partner_id = p.partner_id
    and pq.quarter_idx = (select quarter_idx from as_of_quarter)
