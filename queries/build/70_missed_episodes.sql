-- missed_episodes: one row per missed partner-quarter (is_missed in partner_quarter), that is,
-- every quarter in which a partner's missed streak reaches a new length. It feeds the recovery
-- analysis on the Missed targets page (queries/missed_recovery.sql).
--   reached_streak  missed_streak of that quarter: the length the streak reaches there
--   next_hit_idx    quarter_idx of the partner's first hit (attainment >= miss_below) after that
--                   quarter; null when there is none in the data. Quarters without a target are
--                   neither hits nor misses and are skipped.
-- next_hit_idx may lie after a page's as-of quarter: queries only compare it with quarters up to
-- the as-of quarter, so later data never leaks in.
-- Each row also carries partner_key and the partner's five filter columns (from partner_quarter),
-- so a page filters episodes with passes_filters and joins nothing.
create table missed_episodes as
with misses as (
    select
        partner_id, quarter_idx, missed_streak,
        partner_key, segment, region, partner_type, program_tier, partner_manager
    from partner_quarter
    where is_missed
),

hits as (
    select partner_key, quarter_idx as hit_idx
    from partner_quarter
    where not is_missed
),

final as (
    select
        m.partner_id,
        m.quarter_idx,
        m.missed_streak as reached_streak,
        h.hit_idx as next_hit_idx,
        m.partner_key,
        m.segment,
        m.region,
        m.partner_type,
        m.program_tier,
        m.partner_manager
    from misses as m
    asof left join hits as h on h.partner_key = m.partner_key and h.hit_idx > m.quarter_idx
)

select * from final
order by quarter_idx, partner_key
