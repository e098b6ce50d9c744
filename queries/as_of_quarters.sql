-- Fiscal quarters of the grid: one row per quarter, latest first, with its state relative to the
-- data's date (quarters.quarter_state). A user may pick a complete or in-progress quarter as the
-- as-of quarter (is_pickable); a planned one is refused with a message.
-- is_default marks the default as-of quarter; has_target says whether any partner has a target.
select
    q.fiscal_quarter,
    q.fiscal_year,
    q.quarter_idx,
    q.quarter_state,
    as_of_idx(q.fiscal_quarter) is not null as is_pickable,
    q.quarter_idx = as_of_idx(null) as is_default,
    q.has_target
from quarters as q
order by q.quarter_idx desc
