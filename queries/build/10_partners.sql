-- partners: one row per partner company, as imported (enumerations already canonical).
create table partners as
select * from stage_partners
order by partner_id
