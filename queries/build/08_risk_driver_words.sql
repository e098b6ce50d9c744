-- risk_driver_words(feature, value, category, as_of, target_quarter): one driver of the miss
-- forecast in plain words, for partner_risk.driver_1..3 (channel/risk.py). ``feature`` is a
-- column of queries/forecast/partner_features.sql (kind 'next') or nowcast_features.sql (kind
-- 'nowcast'); ``value`` is the partner's value of it (null when unknown), ``category`` the value
-- of a text feature (segment, program tier), ``as_of`` the as-of quarter's label and
-- ``target_quarter`` the label of the quarter the risk is about. The words say what the value is,
-- not whether it raises the risk: the effect's sign says that, next to them.
create macro risk_driver_words(feature, value, category, as_of, target_quarter) as
case
    when category is not null then
        case feature
            when 'segment' then 'segment ' || category
            when 'program_tier' then 'program tier ' || category
            else feature || ' ' || category
        end
    when value is null then
        case feature
            when 'attainment' then 'no target in ' || as_of
            when 'attainment_prev' then 'no target in the quarter before ' || as_of
            when 'revenue_growth' then 'no revenue in the four quarters before'
            when 'win_rate_4q' then 'no deal won or lost in four quarters'
            when 'avg_deal_4q' then 'no deal won in four quarters'
            when 'cycle_days_4q' then 'no deal won in four quarters'
            when 'target_growth' then 'no target in ' || as_of
            when 'missed_prev' then 'no target the quarter before'
            when 'tenure_quarters' then 'joining date unknown'
            else replace(feature, '_', ' ') || ' unknown'
        end
    else
        case feature
            when 'missed_streak' then
                case
                    when value = 0 then 'no missed target in a row at ' || as_of
                    when value = 1 then 'missed 1 quarter in a row'
                    else 'missed ' || value::bigint || ' quarters in a row'
                end
            when 'missed_last_8' then 'missed ' || value::bigint || ' of the last 8 quarters'
            when 'attainment' then 'attainment ' || round(100 * value)::bigint || '% in ' || as_of
            when 'attainment_prev' then
                'attainment ' || round(100 * value)::bigint || '% the quarter before'
            when 'attainment_trend' then
                case
                    when round(100 * value) = 0 then 'attainment flat over 4 quarters'
                    when value < 0 then
                        'attainment falling ' || round(-100 * value)::bigint
                        || ' points a quarter'
                    else 'attainment rising ' || round(100 * value)::bigint || ' points a quarter'
                end
            when 'revenue_growth' then
                'revenue ' || case when value < 0 then 'down ' else 'up ' end
                || round(100 * abs(value))::bigint || '% on the year before'
            when 'win_rate_4q' then 'win rate ' || round(100 * value)::bigint || '% over 4 quarters'
            when 'deals_4q' then value::bigint || ' deals won or lost over 4 quarters'
            when 'avg_deal_4q' then 'average won deal ' || printf('%,.0f', value)
            when 'cycle_days_4q' then 'median sales cycle ' || round(value)::bigint || ' days'
            when 'pipeline_coverage' then
                'pipeline covers ' || round(100 * value)::bigint || '% of the '
                || target_quarter || ' target'
            when 'target_growth' then
                'target ' || case when value < 0 then 'down ' else 'up ' end
                || round(100 * abs(value))::bigint || '% from ' || as_of
            when 'revenue_cover_next' then
                as_of || ' revenue covers ' || round(100 * value)::bigint || '% of the '
                || target_quarter || ' target'
            when 'run_rate_cover_next' then
                'the last 4 quarters'' average covers ' || round(100 * value)::bigint
                || '% of the ' || target_quarter || ' target'
            when 'tier_gap' then
                case
                    when value = 0 then 'holds the tier it earns'
                    -- tier_gap > 0: holds more than it earns (queries/build/51_tier_gap.sql)
                    when value > 0 then 'holds ' || value::bigint || ' tier(s) above the one earned'
                    else 'earns ' || (-value)::bigint || ' tier(s) above the one held'
                end
            when 'alignment_score' then
                'alignment with priority verticals ' || round(100 * value)::bigint || '%'
            when 'investment_ratio' then
                'vendor investment ' || round(100 * value)::bigint || '% of revenue'
            when 'contacts' then value::bigint || ' people on record'
            when 'certified' then value::bigint || ' certified people'
            when 'tenure_quarters' then 'partner for ' || value::bigint || ' quarters'
            when 'attainment_to_date' then
                'booked ' || round(100 * value)::bigint || '% of the ' || target_quarter
                || ' target so far'
            when 'pace' then 'on pace for ' || round(100 * value)::bigint || '% of target'
            when 'share' then round(100 * value)::bigint || '% of the quarter elapsed'
            when 'deals_to_date' then value::bigint || ' deals won so far this quarter'
            when 'attainment_with_pipeline' then
                'booked plus pipeline due: ' || round(100 * value)::bigint || '% of the '
                || target_quarter || ' target'
            when 'missed_prev' then
                case when value = 1 then 'missed the quarter before' else 'hit the quarter before' end
            else replace(feature, '_', ' ') || ' ' || round(value, 2)
        end
end
