-- Revenue per invested unit by investment program: one row per program with investment in the
-- trailing four quarters ending at $as_of, for the filtered partners; the largest first.
-- Params: $as_of and the filter lists $segment, $region, $partner_type, $program_tier,
-- $partner_manager, $scope.
--   partners            partners funded by the program in the window
--   investment_t4q      the program's investment in them (partner_investment)
--   investment_share    of all programs' investment in the filtered partners
--   revenue_t4q         won revenue of those partners over the same four quarters (a partner
--                       funded by two programs counts in both)
--   revenue_per_invested  revenue_t4q / investment_t4q
with as_of as materialized (
    -- the as-of quarter index, computed once: comparing with the macro itself in a join or
    -- filter hides the quarter from the scan and makes the query ~4x slower at 100k partners
    select as_of_idx($as_of) as quarter_idx
),

funded as (
    select i.program, i.partner_id, i.investment_t4q, pq.revenue_t4q
    from filtered_partners($segment, $region, $partner_type, $program_tier, $partner_manager, $scope) as p
    join partner_investment as i
        on i.partner_id = p.partner_id and i.quarter_idx = (select quarter_idx from as_of)
    join partner_quarter as pq
        on pq.partner_id = p.partner_id and pq.quarter_idx = i.quarter_idx
)

select
    program,
    count(*) as partners,
    sum(investment_t4q) as investment_t4q,
    sum(investment_t4q) / nullif(sum(sum(investment_t4q)) over (), 0) as investment_share,
    sum(revenue_t4q) as revenue_t4q,
    sum(revenue_t4q) / nullif(sum(investment_t4q), 0) as revenue_per_invested
from funded
group by program
order by investment_t4q desc, program
