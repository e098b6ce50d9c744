-- partner_investment: one row per as-of quarter of the grid, partner and investment program that
-- has investment in the four fiscal quarters ending at that quarter (the as-of quarter and the
-- three before it: the same window as revenue_t4q). Empty when no investments were loaded.
-- investment_t4q is the single definition of "investment" on every page; partner_quarter
-- (40_partner_quarter.sql) carries its sum over programs per partner and as-of quarter.
create table partner_investment as
select
    q.quarter_idx,
    i.partner_id,
    i.program,
    sum(i.amount) as investment_t4q
from quarters as q
join investments as i on i.quarter_idx between q.quarter_idx - 3 and q.quarter_idx
group by q.quarter_idx, i.partner_id, i.program
order by q.quarter_idx, i.partner_id, i.program
