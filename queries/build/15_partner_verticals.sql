-- partner_verticals: a partner's declared focus, one row per partner and vertical.
-- focus_share is on any scale; focus_norm sums to 1 per partner. A partner whose shares are all
-- 0 has no usable declared focus (focus_norm is null) and falls back to its deal mix.
-- Each row also carries the partner's partner_key and its five filter columns, so a page reads the
-- filtered partners' declared focus in one scan with no join (filtered_partner_focus,
-- 97_filtered_partner_focus.sql).
create table partner_verticals as
select
    v.partner_id,
    v.vertical,
    v.focus_share,
    v.focus_share / nullif(sum(v.focus_share) over (partition by v.partner_id), 0) as focus_norm,
    p.partner_key,
    p.segment,
    p.region,
    p.partner_type,
    p.program_tier,
    p.partner_manager
from stage_partner_verticals as v
join partners as p using (partner_id)
order by v.partner_id, v.vertical
