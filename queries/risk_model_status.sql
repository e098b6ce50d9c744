-- The miss forecast behind the as-of quarter: one row (none for an unknown or planned quarter).
-- Params: $as_of.
--   as_of_quarter, quarter_state  the as-of quarter and its state (queries/build/20_quarters.sql)
--   kind              which forecast it shows (the risk_kind macro, build/95_risk_kind.sql):
--                     'next' for a complete quarter, 'nowcast' for the quarter in progress
--   target_quarter    the quarter predicted: the next one ('next'), or the as-of quarter itself
--   model, trained_rows, trained_from, trained_to, base_rate, scored_rows, note: its risk_model
--                     row (channel/risk.py); note says why there is no model, when there is none
--   risk_rows         partner_risk rows at this quarter and kind, over every partner
with as_of as materialized (
    select
        quarter_idx,
        fiscal_quarter,
        quarter_state,
        risk_kind(quarter_state) as kind
    from quarters
    where quarter_idx = as_of_idx($as_of)
),

risk_rows as (
    select count(*) as risk_rows
    from partner_risk as r
    semi join as_of as a on a.quarter_idx = r.quarter_idx and a.kind = r.kind
)

select
    a.fiscal_quarter as as_of_quarter,
    a.quarter_state,
    a.kind,
    coalesce(m.target_quarter, t.fiscal_quarter) as target_quarter,
    m.model,
    m.trained_rows,
    m.trained_from,
    m.trained_to,
    m.base_rate,
    m.scored_rows,
    m.note,
    (select risk_rows from risk_rows) as risk_rows
from as_of as a
left join risk_model as m on m.quarter_idx = a.quarter_idx and m.kind = a.kind
left join quarters as t
    on t.quarter_idx = a.quarter_idx + case when a.kind = 'next' then 1 else 0 end
