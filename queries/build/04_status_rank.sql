-- status_rank(status): the severity of a status, 1 for ok up to 4 for replace_review; null for
-- anything else. `order by status_rank(s) desc` lists the most severe first.
create macro status_rank(status) as list_position(status_order(), status)
