-- quarters: one row per fiscal quarter from the first to the last quarter that any target,
-- closed (won or lost) deal or investment falls in; open deals carry an expected close date,
-- which may lie in the future, so they do not stretch the grid (at most the last 40 quarters, so one stray date cannot blow up
-- the partner x quarter grid).
create table quarters as
with used as (
    select quarter_idx from targets
    union all select quarter_idx from deals where status <> 'open'
    union all select quarter_idx from investments
),

bounds as (
    select greatest(min(quarter_idx), max(quarter_idx) - 39) as first_idx, max(quarter_idx) as last_idx
    from used
)

select
    q.quarter_idx::integer as quarter_idx,
    (q.quarter_idx // 4) || '-Q' || (q.quarter_idx % 4 + 1) as fiscal_quarter,
    (q.quarter_idx // 4)::integer as fiscal_year,
    (q.quarter_idx % 4 + 1)::integer as quarter_of_year
from bounds, range(bounds.first_idx, bounds.last_idx + 1) as q(quarter_idx)
where bounds.first_idx is not null
order by quarter_idx
