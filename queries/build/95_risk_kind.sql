-- risk_kind(quarter_state): which miss forecast an as-of quarter shows (partner_risk.kind).
-- A complete as-of quarter shows 'next', the risk of missing the quarter after it; the quarter
-- in progress shows 'nowcast', the chance that it ends missed itself. Every query that reads
-- partner_risk at an as-of quarter picks its rows with this one rule.
create macro risk_kind(quarter_state) as
case when quarter_state = 'in_progress' then 'nowcast' else 'next' end
