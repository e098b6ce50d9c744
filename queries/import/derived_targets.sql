-- Derived targets: the import's plan rule when the CRM has no targets (README "Import from a CRM
-- export", "Targets when the CRM has none"). Runs in the import's scratch database on the mapped
-- deals (_out_deals) and appends to _out_targets.
-- Params: $rule ('prior_year' or 'trailing_mean'), $quarters (trailing_mean's window),
--         $growth (0.10 = +10%), $fiscal_year_start_month, $last_complete (the quarter index of
--         the last complete quarter on the data's date).
--   basis        won revenue of complete quarters only (an empty status means won, as in the
--                contract): prior_year takes the same quarter of the previous fiscal year;
--                trailing_mean the mean over the $quarters quarters before, a quarter without
--                wins counting as 0, from the partner's first closed deal on
--   target       basis x (1 + $growth), rounded to cents; none where the basis is 0
insert into _out_targets by name
with won as (
    select
        partner_id,
        fiscal_quarter_idx(closed_on, $fiscal_year_start_month) as quarter_idx,
        sum(amount) as revenue
    from _out_deals
    where lower(coalesce(status, 'won')) = 'won' and closed_on is not null and amount is not null
    group by all
    having quarter_idx <= $last_complete
),

prior_year as (
    select partner_id, quarter_idx + 4 as quarter_idx, revenue as basis
    from won
    where $rule = 'prior_year'
),

first_quarter as (
    select partner_id, min(fiscal_quarter_idx(closed_on, $fiscal_year_start_month)) as first_idx
    from _out_deals
    where closed_on is not null and partner_id is not null
    group by partner_id
),

trailing_mean as (
    select g.partner_id, g.quarter_idx, sum(w.revenue) / $quarters as basis
    from (
        select f.partner_id, q.quarter_idx
        from first_quarter as f,
            range(f.first_idx + $quarters, $last_complete + 2) as q(quarter_idx)
        where $rule = 'trailing_mean'
    ) as g
    join won as w
        on w.partner_id = g.partner_id
        and w.quarter_idx between g.quarter_idx - $quarters and g.quarter_idx - 1
    group by all
),

planned as (
    select * from prior_year
    union all
    select * from trailing_mean
)

select
    row_number() over (order by partner_id, quarter_idx) as _seq,
    '(derived)' as _src,
    null as _line,
    partner_id,
    (quarter_idx // 4) || '-Q' || (quarter_idx % 4 + 1) as fiscal_quarter,
    round(basis * (1 + $growth), 2) as target_amount
from planned
where basis > 0
order by partner_id, quarter_idx
