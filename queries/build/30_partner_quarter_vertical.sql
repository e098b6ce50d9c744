-- partner_quarter_vertical: won revenue per partner, fiscal quarter and vertical (vertical is
-- null for deals without one). Only won deals count as revenue.
create table partner_quarter_vertical as
select
    partner_id,
    quarter_idx,
    vertical,
    sum(amount) as revenue,
    count(*) as won_deals
from deals
where status = 'won'
group by all
order by quarter_idx, partner_id, vertical
