-- earned_tier(revenue, platinum, gold, silver): the tier that revenue earns against the three
-- floors: Platinum when revenue >= the Platinum floor, else Gold, else Silver, else Registered.
-- The one definition of the rule: partner_quarter.earned_tier (40_partner_quarter.sql) applies it
-- to revenue_t4q and the configured floors, the what-if query (queries/tiers_what_if.sql) to the
-- floors a user tries.
create macro earned_tier(revenue, platinum, gold, silver) as
case
    when revenue >= platinum then 'Platinum'
    when revenue >= gold then 'Gold'
    when revenue >= silver then 'Silver'
    else 'Registered'
end
