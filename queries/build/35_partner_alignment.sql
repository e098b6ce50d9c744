-- partner_alignment: one row per partner and as-of quarter that has a score.
-- alignment_score (0..1) = sum over verticals of f_v * (w_v / max w), where
--   f_v is the partner's declared focus (normalised to sum to 1), or, when it declares none,
--       its won-revenue mix by vertical over the four quarters ending at the as-of quarter
--       (deals without a vertical are left out of the mix);
--   w_v is the vendor's priority weight for the as-of quarter's fiscal year; an unlisted
--       vertical weighs 0. A year without priorities, or whose weights are all 0, gives no score.
create table partner_alignment as
with weights as (
    select fiscal_year, vertical, weight_rel from vendor_priorities where weight_rel is not null
),

scored_years as (
    select distinct fiscal_year from weights
),

focused as (
    select distinct partner_id from partner_verticals where focus_norm is not null
),

declared as (
    select
        pv.partner_id,
        y.fiscal_year,
        sum(pv.focus_norm * coalesce(w.weight_rel, 0)) as alignment_score
    from partner_verticals as pv
    cross join scored_years as y
    left join weights as w on w.fiscal_year = y.fiscal_year and w.vertical = pv.vertical
    where pv.focus_norm is not null
    group by all
),

declared_by_quarter as (
    select d.partner_id, q.quarter_idx, d.alignment_score
    from declared as d
    join quarters as q using (fiscal_year)
),

mix as (
    select v.partner_id, q.quarter_idx, q.fiscal_year, v.vertical, sum(v.revenue) as revenue
    from quarters as q
    join partner_quarter_vertical as v
        on v.quarter_idx between q.quarter_idx - 3 and q.quarter_idx
    where v.vertical is not null
        and q.fiscal_year in (select fiscal_year from scored_years)
        and v.partner_id not in (select partner_id from focused)
    group by all
),

realised as (
    select
        m.partner_id,
        m.quarter_idx,
        sum(m.revenue * coalesce(w.weight_rel, 0)) / nullif(sum(m.revenue), 0) as alignment_score
    from mix as m
    left join weights as w on w.fiscal_year = m.fiscal_year and w.vertical = m.vertical
    group by all
),

final as (
    select partner_id, quarter_idx, alignment_score, true as is_declared from declared_by_quarter
    union all
    select partner_id, quarter_idx, alignment_score, false from realised
    where alignment_score is not null
)

select * from final
order by quarter_idx, partner_id
