"""The mapped CRM import (channel/ingest/importer.py, mapping.py, presets), end to end.

Fixtures in tests/data/crm/ were written by hand in four shapes (a Salesforce report, a HubSpot
export, a European export, the public CRM sample's four files); the expected tables below were
worked out by hand from them.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import xlsxwriter

from channel.cli import main
from channel.ingest.importer import import_sources
from channel.ingest.mapping import MappingError, load_mapping, parse_mapping
from channel.loader import LoadError
from tests.helpers import digest
from tests.helpers import query as rows

CRM = Path(__file__).parent / "data" / "crm"
SF = CRM / "salesforce" / "opportunities.csv"
HUBSPOT = CRM / "hubspot" / "deals.csv"
EURO = [CRM / "european" / "konten.csv", CRM / "european" / "auftraege.csv"]
SAMPLE = [CRM / "crm_sample" / f for f in ("accounts.csv", "sales_pipeline.csv", "sales_teams.csv")]

SF_OVERRIDES = """
[deals.columns]
vertical = { column = "Industry", aliases = { Technolgy = "Technology" } }
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


D = dt.date

# ---------------------------------------------------------------------------------------------
# Four shapes, expected tables by hand


def test_salesforce_preset_with_aliases_and_a_trailing_mean_plan(tmp_path):
    over = write(
        tmp_path / "over.toml",
        SF_OVERRIDES + '[targets]\nrule = "trailing_mean"\nquarters = 1\ngrowth = 0.10\n',
    )
    db = tmp_path / "sf.duckdb"
    summary = import_sources([str(SF)], load_mapping(over, "salesforce"), db)
    # 006A004 has no Partner Account: a direct deal, left out and counted
    assert (summary.direct_deals, summary.direct_amount, summary.direct_won_amount) == (
        1,
        7250.0,
        7250.0,
    )
    assert rows(
        db, "select * exclude (quarter_idx, fiscal_quarter, cycle_days) from deals order by deal_id"
    ) == [
        (
            "006A001",
            "Northwind Systems",
            12500.0,
            D(2025, 1, 15),
            "won",
            "Healthcare",
            D(2024, 11, 2),
        ),
        (
            "006A002",
            "Northwind Systems",
            3000.0,
            D(2025, 2, 28),
            "lost",
            "Healthcare",
            D(2024, 12, 1),
        ),
        (
            "006A003",
            "Contoso Partners",
            48000.0,
            D(2025, 3, 31),
            "won",
            "Manufacturing",
            D(2025, 1, 10),
        ),
        ("006A005", "Contoso Partners", 1234.5, D(2025, 4, 15), "won", "Technology", D(2025, 3, 3)),
        (
            "006A006",
            "Northwind Systems",
            20000.0,
            D(2025, 6, 30),
            "open",
            "Healthcare",
            D(2025, 4, 4),
        ),
        (
            "006A007",
            "Contoso Partners",
            9999.99,
            D(2025, 5, 5),
            "won",
            "Manufacturing",
            D(2025, 4, 10),
        ),
    ]
    # partners derived from the deals; the manager owns most of the partner's deals
    # (Contoso: Sam Ortiz twice, Dana Whitfield once)
    assert rows(
        db,
        "select partner_id, partner_name, segment, region, partner_manager"
        " from partners order by 1",
    ) == [
        ("Contoso Partners", "Contoso Partners", "Mixed", "Unassigned", "Sam Ortiz"),
        ("Northwind Systems", "Northwind Systems", "Mixed", "Unassigned", "Dana Whitfield"),
    ]
    # data as of 2025-05-05 (the latest deal date): 2025-Q1 is the last complete quarter, so
    # the mean of one quarter makes 2025-Q2's target: 12,500 x 1.1 and 48,000 x 1.1
    assert rows(db, "select partner_id, fiscal_quarter, target_amount from targets order by 1") == [
        ("Contoso Partners", "2025-Q2", 52800.0),
        ("Northwind Systems", "2025-Q2", 13750.0),
    ]
    meta = rows(db, "select source, data_as_of, targets_derived, target_rows from meta")[0]
    assert meta[0] == "import: opportunities.csv"
    assert meta[1] == D(2025, 5, 5)
    assert meta[2] == (
        "derived by the import from mean quarterly won revenue over the previous quarter, +10%"
    )
    assert meta[3] == 2


def test_hubspot_preset_reads_iso_datetimes_and_a_bom(tmp_path):
    db = tmp_path / "hs.duckdb"
    summary = import_sources([str(HUBSPOT)], load_mapping(None, "hubspot"), db)
    assert summary.direct_deals == 1 and summary.direct_won_amount == 990.0  # 9005
    assert summary.sources == [("deals.csv", 6, "utf-8-sig")]
    assert rows(
        db,
        "select deal_id, partner_id, amount, closed_on, status, created_on"
        " from deals order by deal_id",
    ) == [
        ("9001", "Fabrikam Resellers", 15000.0, D(2025, 2, 3), "won", D(2024, 12, 20)),
        ("9002", "Fabrikam Resellers", 4200.5, D(2025, 3, 14), "lost", D(2025, 1, 5)),
        # 23:59 on the last day of the quarter stays in that quarter: the date as written
        ("9003", "Wingtip Integrators", 8800.0, D(2025, 3, 31), "won", D(2025, 2, 1)),
        ("9004", "Wingtip Integrators", 2500.0, None, "open", D(2025, 3, 20)),  # open, no date
        ("9006", "Fabrikam Resellers", 3100.0, D(2025, 4, 10), "won", D(2025, 3, 25)),
    ]
    assert rows(db, "select partner_id, partner_manager from partners order by 1") == [
        ("Fabrikam Resellers", "Lee Chen"),  # Lee Chen 2 deals, Ana Ruiz 1
        ("Wingtip Integrators", "Ana Ruiz"),
    ]
    # no targets and no rule: the import still loads, and says so
    assert rows(db, "select target_rows, targets_derived from meta") == [(0, None)]
    assert any("no targets were mapped" in n for n in summary.notes)


def test_hubspot_export_saved_as_xlsx_with_a_named_sheet(tmp_path):
    book = xlsxwriter.Workbook(tmp_path / "export.xlsx")
    book.add_worksheet("Notes").write_string(0, 0, "exported by HubSpot")
    sheet = book.add_worksheet("All deals")
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    header = ["Record ID", "Deal Name", "Deal Stage", "Close Date", "Amount", "Associated Company"]
    sheet.write_row(0, 0, header)
    sheet.write_row(1, 0, [9001, "Fabrikam licences", "Closed won"])
    sheet.write_datetime(1, 3, dt.datetime(2025, 2, 3, 10, 15), stamp)  # a real date cell
    sheet.write_row(1, 4, [15000.5, "Fabrikam Resellers"])
    sheet.write_row(2, 0, [9002, "Tailspin support", "Contract sent", None, 4200])
    sheet.write_string(2, 5, "Fabrikam Resellers")
    book.close()
    db = tmp_path / "x.duckdb"
    import_sources(
        [f"{tmp_path / 'export.xlsx'}#All deals"],
        load_mapping(None, "hubspot"),
        db,
        data_as_of=D(2025, 3, 31),
    )
    assert rows(db, "select deal_id, amount, closed_on, status from deals order by 1") == [
        ("9001", 15000.5, D(2025, 2, 3), "won"),
        ("9002", 4200.0, None, "open"),
    ]


def test_european_export_cp1252_decimal_comma_and_bands(tmp_path):
    db = tmp_path / "eu.duckdb"
    mapping = load_mapping(CRM / "european" / "mapping.toml")
    summary = import_sources([str(p) for p in EURO], mapping, db)
    assert [s[2] for s in summary.sources] == ["cp1252", "cp1252"]
    # Mitarbeiter 1.200 -> 1200 (Enterprise), 45 (SMB), 300 (Midmarket)
    named = "partner_id, partner_name, segment, region, partner_manager"
    assert rows(db, f"select {named} from partners order by 1") == [  # noqa: S608 - the column names above
        ("K-100", "Société Générale Systèmes", "Enterprise", "EMEA", "Jürgen Maß"),
        ("K-200", "Müller & Söhne IT", "SMB", "EMEA", "Anaïs Dubois"),
        ("K-300", "Ørsted Consulting", "Midmarket", "EMEA", "Jürgen Maß"),
    ]
    assert rows(
        db,
        "select deal_id, partner_id, amount, closed_on, status, vertical, created_on"
        " from deals order by deal_id",
    ) == [
        ("A-1", "K-100", 1234.5, D(2025, 3, 15), "won", "Healthcare", D(2025, 2, 1)),
        ("A-2", "K-100", 12000.0, D(2025, 4, 2), "lost", "Healthcare", D(2025, 3, 10)),
        ("A-3", "K-200", 560.0, D(2025, 6, 30), "won", "Manufacturing", D(2025, 5, 5)),
        ("A-4", "K-300", 2500.0, None, "open", "Manufacturing", D(2025, 6, 20)),  # "fertigung"
        ("A-5", "K-300", 999.99, D(2025, 7, 1), "won", "Manufacturing", D(2025, 6, 15)),
    ]


def test_crm_sample_lookup_most_frequent_and_a_prior_year_plan(tmp_path):
    db = tmp_path / "sample.duckdb"
    mapping = load_mapping(CRM / "crm_sample" / "mapping.toml")
    summary = import_sources([str(p) for p in SAMPLE], mapping, db)
    assert summary.direct_deals == 1  # ECDT4X0B: no account
    assert rows(
        db, "select partner_id, segment, region, partner_manager from partners order by 1"
    ) == [
        ("Acme Corporation", "Midmarket", "United States", "Melvin Marxen"),  # 2822 employees
        ("Betasoloin", "SMB", "United States", "Celia Rouche"),  # 495
        ("Cancity", "Midmarket", "United States", "Dustin Brinkmann"),  # Moses twice, Darcel once
        ("Codehow", "Midmarket", "United States", "Dustin Brinkmann"),
        ("Konex", "Enterprise", "United States", "Melvin Marxen"),  # 13,756
    ]
    assert rows(db, "select deal_id, amount, status, vertical from deals order by deal_id") == [
        ("1C1I7A6R", 1054.0, "won", "retail"),
        ("EC4QE1BX", 50.0, "won", "retail"),
        ("KWVA7VR1", 0.0, "lost", "retail"),
        ("LAA36P3U", 0.0, "open", "medical"),  # Engaging, no close date, no value yet
        ("MV1LWRNH", 588.0, "won", "software"),
        ("PE84CX4O", 0.0, "lost", "technology"),  # technolgy, by alias
        ("Z063OYW0", 4514.0, "won", "technology"),
        ("ZZY4516Q", 4700.0, "won", "technology"),
    ]
    # data as of 2017-06-20; the last complete quarter is 2017-Q1, whose won revenue + 10%
    # plans 2018-Q1: Cancity (1,054 + 50) x 1.1, Codehow 588 x 1.1, Konex 4,514 x 1.1
    assert rows(db, "select partner_id, fiscal_quarter, target_amount from targets order by 1") == [
        ("Cancity", "2018-Q1", 1214.4),
        ("Codehow", "2018-Q1", 646.8),
        ("Konex", "2018-Q1", 4965.4),
    ]


def test_prior_year_targets_use_complete_quarters_only(tmp_path):
    src = write(
        tmp_path / "opps.csv",
        "id,partner,amount,closed,stage\n"
        "1,P1,100,2024-02-10,won\n"  # 2024-Q1 -> plans 2025-Q1
        "2,P1,50,2024-03-31,won\n"  # quarter edge: still 2024-Q1
        "3,P1,70,2024-04-01,won\n"  # 2024-Q2 -> plans 2025-Q2
        "4,P1,999,2024-05-01,lost\n"  # lost: no revenue
        "5,P1,10,2025-02-01,won\n",  # in progress on 2025-02-01: plans nothing
    )
    mapping = parse_mapping(
        '[deals]\nfile = "opps.csv"\n[deals.columns]\ndeal_id = "id"\npartner_id = "partner"\n'
        'amount = "amount"\nclosed_on = "closed"\nstatus = "stage"\n'
        '[targets]\nrule = "prior_year"\ngrowth = 0.5\n'
    )
    db = tmp_path / "py.duckdb"
    import_sources([str(src)], mapping, db)
    assert rows(db, "select fiscal_quarter, target_amount from targets order by 1") == [
        ("2025-Q1", 225.0),  # (100 + 50) x 1.5
        ("2025-Q2", 105.0),  # 70 x 1.5
    ]


# ---------------------------------------------------------------------------------------------
# Every problem named: source file, line, column, value, mapping rule


def _bad_salesforce(tmp_path: Path) -> Path:
    lines = SF.read_text().splitlines()
    lines[3] = lines[3].replace("3/31/2025", "31/02/2025")  # line 4
    lines[5] = lines[5].replace('"$1,234.50"', '"($1,234.50)"')  # line 6: accounting negative
    lines.append(lines[1])  # line 9 repeats 006A001
    path = tmp_path / "opportunities.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_bad_values_name_source_line_column_value_and_rule(tmp_path):
    with pytest.raises(LoadError) as e:
        import_sources(
            [str(_bad_salesforce(tmp_path))],
            load_mapping(None, "salesforce"),
            tmp_path / "x.duckdb",
        )
    assert [str(p) for p in e.value.problems] == [
        "opportunities.csv, line 4, column Close Date, value '31/02/2025': not a date in the "
        "format M/D/YYYY (mapping: deals.closed_on)",
        "opportunities.csv, line 6, column Amount, value '($1,234.50)': must be a finite number "
        "between 0 and 1,000,000,000,000 (mapping: deals.amount)",
        "opportunities.csv, line 9, column Opportunity ID, value '006A001': duplicate deal_id "
        "(first on line 2) (mapping: deals.deal_id)",
    ]
    assert e.value.report().startswith("import failed: 3 problems\n")
    assert not (tmp_path / "x.duckdb").exists()


def test_unmapped_stage_value_is_reported_not_guessed(tmp_path):
    over = write(
        tmp_path / "over.toml",
        '[deals.columns]\nstatus = { column = "Stage", map = { "Closed Won" = "won",'
        ' "Closed Lost" = "lost" } }\n',
    )
    with pytest.raises(LoadError) as e:
        import_sources([str(SF)], load_mapping(over, "salesforce"), tmp_path / "x.duckdb")
    assert [str(p) for p in e.value.problems] == [
        "opportunities.csv, line 7, column Stage, value 'Negotiation/Review': no rule maps this "
        "value (add it to the value map) (mapping: deals.status)"
    ]


def test_unknown_source_column_names_the_file_and_its_columns(tmp_path):
    src = write(tmp_path / "report.csv", SF.read_text().replace("Partner Account", "Reseller"))
    with pytest.raises(MappingError) as e:
        import_sources([str(src)], load_mapping(None, "salesforce"), tmp_path / "x.duckdb")
    text = str(e.value)
    assert (
        "preset salesforce, column deals.partner_id, value 'Partner Account': no column "
        "'Partner Account' in report.csv" in text
    )
    assert "'Reseller'" in text  # its columns are listed
    assert "map deals.columns.partner_id to the column that names the partner" in text  # hint


def test_ambiguous_date_column_is_refused(tmp_path):
    src = write(tmp_path / "d.csv", "id,partner,amount,closed\n1,P1,5,3/4/2025\n2,P1,6,5/6/2025\n")
    mapping = parse_mapping(
        '[deals]\nfile = "d.csv"\n[deals.columns]\ndeal_id = "id"\npartner_id = "partner"\n'
        'amount = "amount"\nclosed_on = "closed"\n'
    )
    with pytest.raises(MappingError) as e:
        import_sources([str(src)], mapping, tmp_path / "x.duckdb")
    (problem,) = e.value.problems
    assert problem.column == "deals.closed_on" and problem.value == "closed"
    assert "read two ways" in problem.reason
    assert "'3/4/2025' = 2025-03-04" in problem.reason
    assert "'3/4/2025' = 2025-04-03" in problem.reason
    assert "format = '%m/%d/%Y' or format = '%d/%m/%Y'" in problem.reason


def test_a_date_column_without_a_format_takes_the_one_that_fits(tmp_path):
    src = write(tmp_path / "d.csv", "id,partner,amount,closed\n1,P1,5,3/14/2025\n")
    mapping = parse_mapping(
        '[deals]\nfile = "d.csv"\n[deals.columns]\ndeal_id = "id"\npartner_id = "partner"\n'
        'amount = "amount"\nclosed_on = "closed"\n'
    )
    summary = import_sources([str(src)], mapping, tmp_path / "x.duckdb")
    assert rows(tmp_path / "x.duckdb", "select closed_on from deals") == [(D(2025, 3, 14),)]
    assert "deals.closed_on: no date format given; every value reads as M/D/YYYY" in summary.notes


def test_two_currencies_without_rates_are_refused_and_rates_convert(tmp_path):
    src = write(
        tmp_path / "opportunities.csv", SF.read_text().replace(",USD,6/30/2025", ",EUR,6/30/2025")
    )
    with pytest.raises(LoadError) as e:
        import_sources([str(src)], load_mapping(None, "salesforce"), tmp_path / "x.duckdb")
    assert [str(p) for p in e.value.problems] == [
        "opportunities.csv, column Amount Currency: amounts in 2 currencies (EUR first on line 7,"
        " USD first on line 2) and no conversion: set [defaults] currency and rates in the "
        "mapping (mapping: deals.amount)"
    ]
    rates = write(tmp_path / "rates.toml", '[defaults]\ncurrency = "USD"\nrates = { EUR = 1.25 }\n')
    import_sources([str(src)], load_mapping(rates, "salesforce"), tmp_path / "x.duckdb")
    assert rows(tmp_path / "x.duckdb", "select amount from deals where deal_id = '006A006'") == [
        (25000.0,)  # 20,000 EUR x 1.25
    ]


def test_mapping_shape_problems_name_the_key():
    with pytest.raises(MappingError) as e:
        parse_mapping(
            '[deals]\nfile = "x.csv"\n[deals.columns]\ndeal_id = "id"\nsize = "s"\n'
            'amount = { expr = "bands(n, [5, 1], [\\"a\\"])" }\n'
            'closed_on = { column = "c", format = "%Q" }\n',
            "m.toml",
        )
    text = [str(p) for p in e.value.problems]
    assert (
        "m.toml, column deals.size: deals has no column 'size'; its columns: deal_id, "
        "partner_id, amount, closed_on, status, vertical, created_on" in text
    )
    assert any(t.startswith("m.toml, column deals.amount, value 'bands(n, [5, 1]") for t in text)
    assert "m.toml, column deals.partner_id: required contract column is not mapped" in text


def test_failed_import_leaves_the_database_byte_for_byte(tmp_path):
    db = tmp_path / "live.duckdb"
    import_sources([str(HUBSPOT)], load_mapping(None, "hubspot"), db)
    before = digest(db)
    with pytest.raises(LoadError):
        import_sources([str(_bad_salesforce(tmp_path))], load_mapping(None, "salesforce"), db)
    assert digest(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".live.duckdb.lock",
        "live.duckdb",
        "opportunities.csv",
    ]


def test_dry_run_writes_nothing(tmp_path):
    db = tmp_path / "never.duckdb"
    summary = import_sources([str(SF)], load_mapping(None, "salesforce"), db, dry_run=True)
    assert not db.exists()
    assert "nothing was written (--dry-run)" in summary.report()
    assert "deals                         6" in summary.report()


def test_next_months_export_under_another_name_uses_the_same_mapping(tmp_path):
    renamed = tmp_path / "Opportunities-2025-06 (1).csv"
    shutil.copy(SF, renamed)
    summary = import_sources([str(renamed)], load_mapping(None, "salesforce"), tmp_path / "x.db")
    assert "opportunities.csv in the mapping is read from Opportunities-2025-06 (1).csv" in (
        summary.notes
    )


def test_cli_import_and_its_errors(tmp_path, capsys):
    db = tmp_path / "cli.duckdb"
    assert (
        main(
            [
                "import",
                str(SF),
                "--preset",
                "salesforce",
                "--db",
                str(db),
                "--data-as-of",
                "2025-06-30",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "left out 1 direct deal (no partner): amount 7,250.00 in all, 7,250.00 won" in out
    assert "data as of 2025-06-30 (--data-as-of)" in out
    assert main(["import", str(SF), "--db", str(db)]) == 2
    assert "--mapping FILE, --preset NAME" in capsys.readouterr().err
    assert main(["import", str(SF), "--preset", "oracle", "--db", str(db)]) == 1
    assert "--preset, value 'oracle': no such preset; there are: hubspot, salesforce" in (
        capsys.readouterr().err
    )
