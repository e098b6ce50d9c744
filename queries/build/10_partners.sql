-- partners: one row per partner company, as imported (enumerations already canonical), plus
-- partner_key: a dense integer in partner_id order (1, 2, ...), made here once per load. The
-- build's windows partition on it and partner_quarter is stored in (quarter_idx, partner_key)
-- order; partner_id stays the name shown and the key in URLs. It is not stable from one load to
-- the next, so nothing outside the database may keep it.
create table partners as
select *, (row_number() over (order by partner_id))::integer as partner_key
from stage_partners
order by partner_id
