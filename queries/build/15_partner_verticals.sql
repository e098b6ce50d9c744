-- partner_verticals: a partner's declared focus, one row per partner and vertical.
-- focus_share is on any scale; focus_norm sums to 1 per partner. A partner whose shares are all
-- 0 has no usable declared focus (focus_norm is null) and falls back to its deal mix.
create table partner_verticals as
select
    partner_id,
    vertical,
    focus_share,
    focus_share / nullif(sum(focus_share) over (partition by partner_id), 0) as focus_norm
from stage_partner_verticals
order by partner_id, vertical
