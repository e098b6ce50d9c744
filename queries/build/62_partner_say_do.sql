-- partner_say_do: "say against do", one row per partner and as-of quarter for the partners that
-- declare a focus AND won revenue on deals with a vertical in the four quarters ending at that
-- quarter (the others have no distance: nothing declared, or nothing done).
--   distance               half the L1 distance between the declared focus (focus_norm, sums
--                          to 1) and the won-revenue mix by vertical over those four quarters
--                          (sums to 1; deals without a vertical left out): 0 = the deals follow
--                          the declared focus exactly, 1 = no won revenue in a declared vertical.
--                          For two vectors that each sum to 1, 1/2 sum |f - m| = 1 - sum min(f, m),
--                          which needs only the verticals both sides share: a vertical the partner
--                          does not declare has a focus of 0 and overlaps with nothing, so the
--                          overlap sums the declared verticals alone (never least(share, null):
--                          DuckDB's least() skips a null and would count the whole share).
--                          Rounded to 9 decimals so that equal distances compare equal.
--   revenue_with_vertical  won revenue in those four quarters on deals with a vertical
-- Built a range of partner keys at a time ($first_key .. $last_key, as partner_quarter), each
-- range in (quarter_idx, partner_key) order, which is (quarter_idx, partner_id) order. The four
-- quarters' revenue is summed twice on the integer key, once over every vertical (the whole mix)
-- and once over the declared verticals alone (the only ones that overlap), instead of once per
-- partner, quarter and vertical by partner_id: at a million partners that took 32 s of the load.
-- Params: $first_key, $last_key.
create table partner_say_do as
with focus as (
    select partner_key, vertical, focus_norm
    from partner_verticals
    where focus_norm is not null and partner_key between $first_key and $last_key
),

-- won revenue on deals with a vertical, per quarter, of the partners that declare a focus
done as (
    select partner_key, quarter_idx, vertical, revenue
    from partner_quarter_vertical
    where vertical is not null
        and partner_key between $first_key and $last_key
        and partner_key in (select partner_key from focus)
),

-- the four quarters ending at each as-of quarter: all of the revenue on deals with a vertical
total as (
    select d.partner_key, q.quarter_idx, sum(d.revenue) as revenue_with_vertical
    from (
        select partner_key, quarter_idx, sum(revenue) as revenue
        from done
        group by all
    ) as d
    join quarters as q on d.quarter_idx between q.quarter_idx - 3 and q.quarter_idx
    group by all
),

-- ... and the part of it in each declared vertical (only those add to the overlap)
declared as (
    select d.partner_key, q.quarter_idx, d.vertical, sum(d.revenue) as revenue
    from (select * from done semi join focus using (partner_key, vertical)) as d
    join quarters as q on d.quarter_idx between q.quarter_idx - 3 and q.quarter_idx
    group by all
),

overlap as (
    select
        t.partner_key,
        t.quarter_idx,
        any_value(t.revenue_with_vertical) as revenue_with_vertical,
        coalesce(sum(least(d.revenue / t.revenue_with_vertical, f.focus_norm)), 0) as overlap
    from total as t
    left join declared as d using (partner_key, quarter_idx)
    left join focus as f using (partner_key, vertical)
    group by t.partner_key, t.quarter_idx
)

select
    p.partner_id,
    o.quarter_idx::integer as quarter_idx,
    greatest(round(1 - o.overlap, 9), 0) as distance,
    o.revenue_with_vertical
from overlap as o
join partners as p using (partner_key)
where o.revenue_with_vertical > 0
order by o.quarter_idx, o.partner_key
