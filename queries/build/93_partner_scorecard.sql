-- partner_scorecard(as_of, segments, regions, partner_types, program_tiers, partner_managers,
-- scopes): one row per partner that passes the filters (passes_filters, same arguments), as of
-- the quarter labelled as_of ('YYYY-Qn'; null = the default as-of quarter, as_of_idx). The row
-- holds the partner's own columns and its partner_quarter row at that quarter, plus tier_gap
-- (51_tier_gap.sql). Page queries that show partners as of a quarter select from it.
-- partner_quarter carries the partner's columns, so this reads the as-of quarter's rows alone
-- and joins nothing (filtered_partner_quarters). partner_key comes last: a query that goes on to
-- join partner_quarter joins on it (an integer), and never shows it.
create macro partner_scorecard(
    as_of, segments, regions, partner_types, program_tiers, partner_managers, scopes
)
as table
select
    pq.* exclude (partner_key),
    tier_gap(pq.program_tier, pq.earned_tier) as tier_gap,
    pq.partner_key
from filtered_partner_quarters(
    as_of_idx(as_of), as_of_idx(as_of),
    segments, regions, partner_types, program_tiers, partner_managers, scopes
) as pq
