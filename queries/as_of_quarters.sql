-- As-of quarters a user may pick: one row per fiscal quarter of the grid, latest first.
-- is_default marks the default as-of quarter; has_target says whether any partner has a target.
select
    q.fiscal_quarter,
    q.fiscal_year,
    q.quarter_idx,
    q.quarter_idx = as_of_idx(null) as is_default,
    exists (select 1 from targets as t where t.quarter_idx = q.quarter_idx) as has_target
from quarters as q
order by q.quarter_idx desc
