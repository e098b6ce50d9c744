-- partner_alignment_by_year: one row per partner, as-of quarter and fiscal year of priority
-- weights, for two weight years: the as-of quarter's own fiscal year and the year before it
-- (each only when that year has priorities). This file is the single definition of
-- alignment_score (README "KPI definitions"); 35_partner_alignment.sql keeps the rows scored
-- against the as-of quarter's own fiscal year, and the Vertical alignment page compares them
-- with the previous year's weights.
-- alignment_score (0..1) =
--   sum over verticals of f_v * (w_v / max w), where f_v is the declared focus (normalised), or,
--   for a partner that declares none, its won-revenue mix by vertical over the four quarters
--   ending at the as-of quarter (deals without a vertical left out); w_v comes from
--   fiscal_year_of_weights, an unlisted vertical weighs 0, a year without priorities (or whose
--   weights are all 0) gives no row.
create table partner_alignment_by_year as
with weights as (
    select fiscal_year, vertical, weight_rel from vendor_priorities where weight_rel is not null
),

scored_years as (
    select distinct fiscal_year from weights
),

-- each as-of quarter is scored against its own fiscal year's weights and the previous year's
quarter_years as (
    select q.quarter_idx, y.fiscal_year as fiscal_year_of_weights
    from quarters as q
    join scored_years as y on y.fiscal_year between q.fiscal_year - 1 and q.fiscal_year
),

focused as (
    select distinct partner_id from partner_verticals where focus_norm is not null
),

declared as (
    select
        pv.partner_id,
        pv.partner_key,
        y.fiscal_year,
        sum(pv.focus_norm * coalesce(w.weight_rel, 0)) as alignment_score
    from partner_verticals as pv
    cross join scored_years as y
    left join weights as w on w.fiscal_year = y.fiscal_year and w.vertical = pv.vertical
    where pv.focus_norm is not null
    group by all
),

declared_by_quarter as (
    select d.partner_id, d.partner_key, qy.quarter_idx, qy.fiscal_year_of_weights, d.alignment_score
    from declared as d
    join quarter_years as qy on qy.fiscal_year_of_weights = d.fiscal_year
),

mix as (
    select v.partner_id, v.partner_key, q.quarter_idx, v.vertical, sum(v.revenue) as revenue
    from quarters as q
    join partner_quarter_vertical as v
        on v.quarter_idx between q.quarter_idx - 3 and q.quarter_idx
    where v.vertical is not null
        and q.quarter_idx in (select quarter_idx from quarter_years)
        and v.partner_id not in (select partner_id from focused)
    group by all
),

realised as (
    select
        m.partner_id,
        m.partner_key,
        m.quarter_idx,
        qy.fiscal_year_of_weights,
        sum(m.revenue * coalesce(w.weight_rel, 0)) / nullif(sum(m.revenue), 0) as alignment_score
    from mix as m
    join quarter_years as qy on qy.quarter_idx = m.quarter_idx
    left join weights as w
        on w.fiscal_year = qy.fiscal_year_of_weights and w.vertical = m.vertical
    group by all
),

final as (
    select
        partner_id,
        quarter_idx::integer as quarter_idx,
        fiscal_year_of_weights::integer as fiscal_year_of_weights,
        alignment_score,
        true as is_declared,
        partner_key
    from declared_by_quarter
    union all
    select partner_id, quarter_idx, fiscal_year_of_weights, alignment_score, false, partner_key
    from realised
    where alignment_score is not null
)

select * from final
order by quarter_idx, fiscal_year_of_weights, partner_key
