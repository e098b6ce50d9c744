-- quarters: one row per fiscal quarter of the grid, from the first to the last quarter that any
-- target, closed (won or lost) deal or investment falls in, and always the quarter that contains
-- the data's date. Open deals carry an expected close date that may lie anywhere, so they do
-- not stretch the grid. At most the 40 quarters up to the data's date are kept, and at most 8
-- planned quarters after it, so one stray date cannot blow up the partner x quarter grid.
-- Params: $data_as_of (the date the data describes), $fiscal_year_start_month.
--   quarter_state   relative to the data's date: 'complete' (the quarter ended on or before
--                   it), 'in_progress' (it contains it) or 'planned' (it starts after it).
--                   Only complete quarters are ever hit or missed.
--   share_elapsed   days of the quarter up to and including the data's date / days in the
--                   quarter: 1 for a complete quarter, 0 for a planned one.
--   has_target      any partner has a target row for the quarter
--   is_default_as_of the default as-of quarter (one row): the latest complete quarter that has a
--                   target; without one, the latest complete quarter; without any complete
--                   quarter, the quarter in progress. Worked out once here, so that every page
--                   query finds it in this small table (queries/build/91_as_of_idx.sql).
create table quarters as
with current_quarter as (
    select fiscal_quarter_idx($data_as_of::date, $fiscal_year_start_month) as quarter_idx
),

used as (
    select quarter_idx from targets
    union all select quarter_idx from deals where status <> 'open'
    union all select quarter_idx from investments
    union all select quarter_idx from current_quarter
),

bounds as (
    select
        greatest(min(u.quarter_idx), c.quarter_idx - 39) as first_idx,
        least(max(u.quarter_idx), c.quarter_idx + 8) as last_idx
    from used as u, current_quarter as c
    group by c.quarter_idx
),

grid as (
    select
        q.quarter_idx,
        fiscal_quarter_start(q.quarter_idx, $fiscal_year_start_month) as quarter_start,
        fiscal_quarter_start(q.quarter_idx + 1, $fiscal_year_start_month) - 1 as quarter_end
    from bounds, range(bounds.first_idx, bounds.last_idx + 1) as q(quarter_idx)
),

states as (
    select
        quarter_idx::integer as quarter_idx,
        (quarter_idx // 4) || '-Q' || (quarter_idx % 4 + 1) as fiscal_quarter,
        (quarter_idx // 4)::integer as fiscal_year,
        (quarter_idx % 4 + 1)::integer as quarter_of_year,
        quarter_start,
        quarter_end,
        case
            when quarter_end <= $data_as_of::date then 'complete'
            when quarter_start <= $data_as_of::date then 'in_progress'
            else 'planned'
        end as quarter_state,
        case
            when quarter_end <= $data_as_of::date then 1.0
            when quarter_start <= $data_as_of::date
                then (date_diff('day', quarter_start, $data_as_of::date) + 1)
                / (date_diff('day', quarter_start, quarter_end) + 1)
            else 0.0
        end as share_elapsed,
        quarter_idx in (select quarter_idx from targets) as has_target
    from grid
),

final as (
    select
        *,
        quarter_idx = coalesce(
            max(quarter_idx) filter (where quarter_state = 'complete' and has_target) over (),
            max(quarter_idx) filter (where quarter_state = 'complete') over (),
            max(quarter_idx) filter (where quarter_state = 'in_progress') over ()
        ) as is_default_as_of
    from states
)

select * from final
order by quarter_idx
