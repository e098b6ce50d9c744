-- partner_quarter_vertical: won revenue per partner, fiscal quarter and vertical (vertical is
-- null for deals without one). Only won deals count as revenue.
-- Each row also carries the partner's partner_key and its five filter columns, so a page reads
-- the filtered partners' vertical revenue in one scan with no join (filtered_vertical_revenue,
-- 96_filtered_vertical_revenue.sql). Like partner_quarter, it is built a range of partner keys at
-- a time ($first_key .. $last_key), each range stored in (quarter_idx, partner_key) order.
-- Params: $first_key, $last_key.
create table partner_quarter_vertical as
with chunk as (
    select partner_id, partner_key, segment, region, partner_type, program_tier, partner_manager
    from partners
    where partner_key between $first_key and $last_key
),

won as (
    select
        partner_id,
        quarter_idx,
        vertical,
        sum(amount) as revenue,
        count(*) as won_deals
    from deals
    where status = 'won' and partner_id in (select partner_id from chunk)
    group by all
)

select
    w.*,
    c.partner_key,
    c.segment,
    c.region,
    c.partner_type,
    c.program_tier,
    c.partner_manager
from won as w
join chunk as c using (partner_id)
order by w.quarter_idx, c.partner_key, w.vertical
