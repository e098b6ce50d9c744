-- deals: one row per deal known on the data's date, with the fiscal quarter of closed_on.
-- Params: $fiscal_year_start_month (1-12), $data_as_of (the date the data describes),
-- $first_key, $last_key.
-- A won or lost deal counts from its closed_on; an open deal's closed_on is its expected close
-- date (it may be empty, or lie in the future) and it never counts as revenue. A deal the data's
-- date has not reached yet (won or lost after $data_as_of, or created after it) is left out; the
-- loader counts those in its summary.
-- Built a range of partner keys at a time ($first_key .. $last_key, channel/sqlfiles.py
-- CHUNK_KEYS): each range sorts its own deals in (quarter_idx, partner_key) order, which is
-- (quarter_idx, partner_id) order on an integer, in memory, where one sort of every deal spilled
-- to disk at a million partners. Every deal's partner_id is
-- in partners (the loader checks it), so every deal falls in one range.
create table deals as
with known as (
    select d.*, p.partner_key
    from stage_deals as d
    join partners as p
        on p.partner_id = d.partner_id and p.partner_key between $first_key and $last_key
    where case status
        when 'open' then created_on is null or created_on <= $data_as_of::date
        else closed_on <= $data_as_of::date
    end
),

fiscal as (
    select
        *,
        fiscal_quarter_idx(closed_on, $fiscal_year_start_month) as quarter_idx
    from known
)

select
    deal_id,
    partner_id,
    amount,
    closed_on,
    status,
    vertical,
    created_on,
    quarter_idx::integer as quarter_idx,
    (quarter_idx // 4) || '-Q' || (quarter_idx % 4 + 1) as fiscal_quarter,
    date_diff('day', created_on, closed_on) as cycle_days
from fiscal
order by quarter_idx, partner_key
