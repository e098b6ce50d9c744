-- vendor_priorities: one row per fiscal year and vertical.
-- weight_rel = priority_weight / the year's largest weight (0..1); null when every weight is 0.
create table vendor_priorities as
select
    fiscal_year,
    vertical,
    priority_weight,
    priority_weight / nullif(max(priority_weight) over (partition by fiscal_year), 0) as weight_rel
from stage_vendor_priorities
order by fiscal_year, vertical
