-- contacts: one row per person inside a partner.
create table contacts as
select * from stage_contacts
order by partner_id, contact_name
