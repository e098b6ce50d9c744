-- partner_say_do: "say against do", one row per partner and as-of quarter for the partners that
-- declare a focus AND won revenue on deals with a vertical in the four quarters ending at that
-- quarter (the others have no distance: nothing declared, or nothing done).
--   distance               half the L1 distance between the declared focus (focus_norm, sums
--                          to 1) and the won-revenue mix by vertical over those four quarters
--                          (sums to 1; deals without a vertical left out): 0 = the deals follow
--                          the declared focus exactly, 1 = no won revenue in a declared vertical.
--                          For two vectors that each sum to 1, 1/2 sum |f - m| = 1 - sum min(f, m),
--                          which needs only the verticals both sides share: a vertical the partner
--                          does not declare has a focus of 0 and overlaps with nothing (DuckDB's
--                          least() skips a null, so the 0 is written out). Rounded to 9 decimals
--                          so that equal distances compare equal.
--   revenue_with_vertical  won revenue in those four quarters on deals with a vertical
-- Built a range of partner keys at a time ($first_key .. $last_key, as partner_quarter), each
-- range in (quarter_idx, partner_id) order. Params: $first_key, $last_key.
create table partner_say_do as
with focus as (
    select partner_id, vertical, focus_norm
    from partner_verticals
    where focus_norm is not null and partner_key between $first_key and $last_key
),

mix as (
    select v.partner_id, q.quarter_idx, v.vertical, sum(v.revenue) as revenue
    from quarters as q
    join partner_quarter_vertical as v
        on v.quarter_idx between q.quarter_idx - 3 and q.quarter_idx
    where v.vertical is not null
        and v.partner_key between $first_key and $last_key
        and v.partner_id in (select partner_id from focus)
    group by all
),

shares as (
    select
        partner_id,
        quarter_idx,
        vertical,
        revenue / sum(revenue) over (partition by partner_id, quarter_idx) as share,
        sum(revenue) over (partition by partner_id, quarter_idx) as revenue_with_vertical
    from mix
),

overlap as (
    select
        s.partner_id,
        s.quarter_idx,
        any_value(s.revenue_with_vertical) as revenue_with_vertical,
        coalesce(sum(least(s.share, coalesce(f.focus_norm, 0))), 0) as overlap
    from shares as s
    left join focus as f on f.partner_id = s.partner_id and f.vertical = s.vertical
    group by s.partner_id, s.quarter_idx
)

select
    partner_id,
    quarter_idx::integer as quarter_idx,
    greatest(round(1 - overlap, 9), 0) as distance,
    revenue_with_vertical
from overlap
where revenue_with_vertical > 0
order by quarter_idx, partner_id
