"""``python -m channel import SOURCE... --suggest``: a first mapping guessed from CRM exports.

Each hand-written fixture in tests/data/crm/ gets a suggestion that ``parse_mapping`` accepts and
that picks the right files and columns; what the data leaves open is marked, never guessed.
"""

from __future__ import annotations

import duckdb
import pytest

from channel.cli import main
from channel.ingest.importer import import_sources
from channel.ingest.mapping import Call, Col, Const, MappingError, parse_mapping
from channel.ingest.suggest import _aliases, _norm, ambiguous_placeholder, suggest
from tests.helpers import REPO

CRM = REPO / "tests" / "data" / "crm"
SALESFORCE = [CRM / "salesforce" / "opportunities.csv"]
HUBSPOT = [CRM / "hubspot" / "deals.csv"]
EUROPEAN = [CRM / "european" / "auftraege.csv", CRM / "european" / "konten.csv"]
SAMPLE = [
    CRM / "crm_sample" / f
    for f in ("accounts.csv", "sales_pipeline.csv", "sales_teams.csv", "products.csv")
]
BANDS = Call(
    "bands",
    (Col("employees"), Const([100.0, 1000.0]), Const(["SMB", "Midmarket", "Enterprise"])),
)


def suggested(paths) -> tuple[str, object]:
    text = suggest([str(p) for p in paths])
    return text, parse_mapping(text, "suggested.toml")


def write(path, text: str, encoding: str = "utf-8"):
    path.write_text(text, encoding=encoding)
    return path


# ---------------------------------------------------------------------------------------------
# The four fixture folders


def test_salesforce_report():
    text, m = suggested(SALESFORCE)
    deals = m.tables["deals"]
    assert deals.file == "opportunities.csv"
    r = deals.rules
    assert r["deal_id"].expr == Col("Opportunity ID")
    assert r["partner_id"].expr == Col("Partner Account")  # the partner, not the customer
    assert "'Account Name' looks like the customer" in text
    assert r["amount"].expr == Col("Amount")
    assert r["amount"].currency_column == "Amount Currency"
    assert r["closed_on"].expr == Col("Close Date")
    assert r["closed_on"].date_format == "%m/%d/%Y"
    # 'Created Date' alone reads both ways (11/2/2024); 'Close Date' (1/15/2025) settles it
    assert r["created_on"].date_format == "%m/%d/%Y"
    assert "CHECK: 'Created Date' alone reads as M/D/YYYY or D/M/YYYY" in text
    assert r["status"].expr == Col("Stage")
    assert r["status"].value_map == {
        "Closed Won": "won",
        "Closed Lost": "lost",
        "Negotiation/Review": "open",
    }
    assert r["vertical"].aliases == {"Technolgy": "Technology"}
    assert (m.decimal, m.thousands) == (".", ",")
    partners = m.tables["partners"]
    assert partners.from_deals and partners.file is None
    assert partners.rules["partner_name"].expr == Col("Partner Account")
    assert partners.rules["partner_manager"].expr == Call(
        "most_frequent", (Col("Opportunity Owner"),)
    )
    assert partners.rules["segment"].value == "Mixed"
    assert partners.rules["region"].value == "Unassigned"
    targets = m.tables["targets"]
    assert (targets.rule, targets.growth) == ("prior_year", 0.10)
    assert "targets are derived, not a plan" in text
    assert "Not mapped from opportunities.csv: 'Opportunity Name', 'Account Name', 'Type'" in text


def test_hubspot_export_with_a_bom_and_iso_datetimes():
    text, m = suggested(HUBSPOT)
    r = m.tables["deals"].rules
    assert m.tables["deals"].file == "deals.csv"
    assert r["deal_id"].expr == Col("Record ID")
    assert r["partner_id"].expr == Col("Associated Company")
    assert r["amount"].expr == Col("Amount")
    assert r["closed_on"].expr == Col("Close Date") and r["closed_on"].date_format == "iso"
    assert r["created_on"].expr == Col("Create Date") and r["created_on"].date_format == "iso"
    assert r["status"].value_map == {
        "Closed won": "won",
        "Closed lost": "lost",
        "Appointment scheduled": "open",
    }
    assert "*" not in r["status"].value_map  # an unlisted stage stops the import
    assert "1 of 6 rows name no partner" in text  # the direct deal
    assert m.tables["partners"].rules["partner_manager"].expr == Call(
        "most_frequent", (Col("Deal owner"),)
    )
    assert "[files." not in text  # UTF-8 with a BOM needs no encoding line


def test_european_export_cp1252_semicolons_and_decimal_commas():
    text, m = suggested(EUROPEAN)
    assert m.encodings == {"auftraege.csv": "cp1252", "konten.csv": "cp1252"}
    assert (m.decimal, m.thousands) == (",", ".")
    deals = m.tables["deals"]
    assert deals.file == "auftraege.csv"
    r = deals.rules
    assert r["deal_id"].expr == Col("Auftrag")
    assert r["partner_id"].expr == Col("Kundennummer")
    assert r["amount"].expr == Col("Betrag") and r["amount"].currency_column == "Währung"
    assert r["closed_on"].expr == Col("Abschluss") and r["closed_on"].date_format == "%d.%m.%Y"
    assert r["created_on"].expr == Col("Erstellt") and r["created_on"].date_format == "%d.%m.%Y"
    assert r["status"].value_map == {
        "Gewonnen": "won",
        "Verloren": "lost",
        "In Verhandlung": "open",
    }
    assert r["vertical"].expr == Col("Branche")
    assert r["vertical"].aliases == {"fertigung": "Fertigung"}
    assert "Every amount in the sample is in EUR." in text
    partners = m.tables["partners"]
    assert partners.file == "konten.csv" and not partners.from_deals
    p = partners.rules
    assert p["partner_id"].expr == Col("Kundennummer")
    assert p["partner_name"].expr == Col("Firma")
    assert p["segment"].expr == Call(
        "bands", (Col("Mitarbeiter"), *BANDS.args[1:])
    )  # "1.200" employees: read with the file's "." thousands
    assert p["region"].expr == Col("Region")
    assert p["partner_manager"].expr == Col("Betreuer")


def test_crm_sample_accounts_pipeline_and_a_sales_team_lookup():
    text, m = suggested(SAMPLE)
    deals = m.tables["deals"]
    assert deals.file == "sales_pipeline.csv"
    r = deals.rules
    assert r["deal_id"].expr == Col("opportunity_id")
    assert r["partner_id"].expr == Col("account")
    assert r["status"].expr == Col("deal_stage")
    assert r["status"].value_map == {
        "Won": "won",
        "Lost": "lost",
        "Engaging": "open",
        "Prospecting": "open",
    }
    assert r["closed_on"].expr == Col("close_date") and r["closed_on"].date_format == "iso"
    assert r["created_on"].expr == Col("engage_date")
    # open deals have no close_value; the contract needs an amount
    assert r["amount"].expr == Call("first_nonempty", (Col("close_value"), Const("0")))
    assert "CHECK: 2 rows have no 'close_value'" in text
    assert r["vertical"].expr == Call(
        "lookup", (Const("accounts.csv"), Col("account"), Col("sector"))
    )
    assert r["vertical"].aliases == {"technolgy": "technology"}
    partners = m.tables["partners"]
    assert partners.file == "accounts.csv"
    p = partners.rules
    assert p["partner_id"].expr == Col("account")
    assert p["partner_name"].expr == Col("account")
    assert p["segment"].expr == BANDS
    assert p["region"].expr == Col("office_location")
    assert p["partner_manager"].expr == Call(
        "most_frequent",
        (Call("lookup", (Const("sales_teams.csv"), Col("sales_agent"), Col("manager"))),),
    )
    assert m.tables["targets"].rule == "prior_year"
    assert "products.csv" in text and "not used; could serve lookups" in text
    assert "Not mapped from sales_pipeline.csv: 'product'" in text


@pytest.mark.parametrize("paths", [SALESFORCE, HUBSPOT, EUROPEAN, SAMPLE])
def test_the_header_names_sources_and_what_to_check(paths):
    text = suggest([str(p) for p in paths])
    head = text.split("\n[", 1)[0]
    assert "check every line marked CHECK or AMBIGUOUS" in head
    assert "Nothing was loaded" in head
    for p in paths:
        assert p.name in head
    assert all(len(line) <= 100 for line in text.splitlines() if line.startswith("#"))


def test_file_order_does_not_matter():
    _, m = suggested(list(reversed(SAMPLE)))
    assert m.tables["deals"].file == "sales_pipeline.csv"
    assert m.tables["partners"].file == "accounts.csv"


# ---------------------------------------------------------------------------------------------
# What the data leaves open


def test_ambiguous_dates_are_marked_and_must_be_chosen(tmp_path):
    src = write(
        tmp_path / "deals.csv",
        "id,partner,amount,close date,stage\n"
        "1,Alpha,100,01/02/2025,won\n2,Beta,200,03/04/2025,lost\n3,Alpha,50,12/11/2025,open\n",
    )
    text = suggest([str(src)])
    assert "AMBIGUOUS: every date in 'close date'" in text
    assert '"03/04/2025" is 4 March 2025 as M/D/YYYY or 3 April 2025 as D/M/YYYY' in text
    assert 'format = "%m/%d/%Y" or format = "%d/%m/%Y"' in text
    placeholder = ambiguous_placeholder(("%m/%d/%Y", "%d/%m/%Y"))
    assert f'format = "{placeholder}"' in text
    with pytest.raises(MappingError) as e:  # unusable until someone chooses
        parse_mapping(text, "suggested.toml")
    (problem,) = e.value.problems
    assert problem.column == "deals.closed_on.format" and problem.value == placeholder
    chosen = parse_mapping(text.replace(placeholder, "%d/%m/%Y"), "suggested.toml")
    assert chosen.tables["deals"].rules["closed_on"].date_format == "%d/%m/%Y"


def test_ambiguous_separators_are_marked_and_must_be_chosen(tmp_path):
    src = write(
        tmp_path / "deals.csv",
        'id,partner,amount,close date,stage\n1,A,"1,500",2025-01-02,won\n2,B,"2,250",2025-02-03,'
        "lost\n",
    )
    text = suggest([str(src)])
    assert "AMBIGUOUS: the separators cannot be told from the numbers" in text
    assert "'1,500' in 'amount' is 1,500.00 with 1,234.50 but 1.50 with 1.234,50" in text
    with pytest.raises(MappingError, match="defaults.decimal"):
        parse_mapping(text)
    m = parse_mapping(text.replace('"AMBIGUOUS: . or ,"', '"."'))
    assert (m.decimal, m.thousands) == (".", ",")


def test_several_currencies_get_a_rates_block_to_fill_in(tmp_path):
    src = write(
        tmp_path / "opps.csv",
        "Deal ID,Partner,Amount,Currency,Close Date,Stage\n"
        "D1,Alpha,1500.00,USD,2025-01-02,Closed Won\nD2,Beta,200.50,EUR,2025-02-03,Closed Lost\n"
        "D3,Beta,99.00,USD,2025-03-04,Commit\n",
    )
    text = suggest([str(src)])
    assert "CHECK: the amounts are in 2 currencies: USD (2), EUR (1)" in text
    assert '# currency = "USD"' in text and "# rates = { EUR = 0.0 }" in text
    m = parse_mapping(text)  # commented out: the import refuses two currencies until filled in
    assert m.currency is None
    assert m.tables["deals"].rules["amount"].currency_column == "Currency"
    filled = text.replace('# currency = "USD"', 'currency = "USD"').replace(
        "# rates = { EUR = 0.0 }", "rates = { EUR = 1.08 }"
    )
    assert parse_mapping(filled).rates == {"EUR": 1.08}


def test_stage_values_closed_without_won_or_lost_are_not_guessed(tmp_path):
    src = write(
        tmp_path / "deals.csv",
        "id,partner,amount,closed,status\n1,A,5,2025-01-02,Closed\n2,A,6,2025-01-03,Cancelled\n"
        "3,A,7,2025-01-04,Won\n",
    )
    text = suggest([str(src)])
    status = parse_mapping(text).tables["deals"].rules["status"].value_map
    assert status["Won"] == "won"
    assert status["Cancelled"] == "lost" and "CHECK: guessed lost" in text
    assert status["Closed"] not in ("won", "lost", "open")  # the loader refuses it
    assert "closed but neither won nor lost" in text


def test_a_targets_file_is_mapped(tmp_path):
    deals = write(
        tmp_path / "opps.csv",
        "Deal ID,Partner,Amount,Close Date,Stage,Region\n"
        "D1,Alpha,1500.00,2025-01-02,Closed Won,EMEA\nD2,Beta,200.50,2025-02-03,Closed Lost,NA\n",
    )
    targets = write(
        tmp_path / "quotas.csv", "Partner,Quarter,Quota\nAlpha,2025-Q1,1000\nBeta,Q2 2025,2000\n"
    )
    text, m = suggested([targets, deals])
    assert m.tables["deals"].file == "opps.csv"
    t = m.tables["targets"]
    assert t.file == "quotas.csv" and t.rule is None
    assert t.rules["partner_id"].expr == Col("Partner")
    assert t.rules["fiscal_quarter"].expr == Col("Quarter")
    assert t.rules["target_amount"].expr == Col("Quota")
    assert 'CHECK: the contract wants quarters written YYYY-Qn, not "Q2 2025"' in text
    assert m.tables["partners"].from_deals  # the targets file is not taken for partners
    assert m.tables["partners"].rules["region"].expr == Call("most_frequent", (Col("Region"),))


def test_an_accounts_file_is_found_by_the_values_the_deals_name(tmp_path):
    deals = write(
        tmp_path / "pipeline.csv",
        "ref,client,value,closed,stage,owner\n1,C-1,5,2025-01-02,won,Ann\n2,C-2,6,2025-01-03,lost,"
        "Bo\n3,C-9,7,2025-01-04,won,Ann\n",
    )
    accounts = write(
        tmp_path / "companies.csv",
        "id,name,Number of Employees,Territory\nC-1,Alpha,50,North\nC-2,Beta,5000,\n",
    )
    text, m = suggested([accounts, deals])
    assert m.tables["deals"].file == "pipeline.csv"
    assert m.tables["deals"].rules["partner_id"].expr == Col("client")
    p = m.tables["partners"]
    assert p.file == "companies.csv"
    assert p.rules["partner_id"].expr == Col("id")
    assert p.rules["partner_name"].expr == Col("name")
    assert p.rules["segment"].expr == Call("bands", (Col("Number of Employees"), *BANDS.args[1:]))
    assert p.rules["region"].expr == Call("first_nonempty", (Col("Territory"), Const("Unassigned")))
    assert p.rules["partner_manager"].expr == Call("most_frequent", (Col("owner"),))
    assert "CHECK: 1 of the 3 values of 'client' in the sample are not in companies.csv's 'id'" in (
        " ".join(line.lstrip("# ") for line in text.splitlines())
    )


def test_an_encoding_line_only_for_files_that_are_not_utf8(tmp_path):
    src = write(
        tmp_path / "deals.csv",
        "id;partner;amount;closed;stage\n1;Müller;5,50;15.03.2025;gewonnen\n",
        encoding="cp1252",
    )
    text, m = suggested([src])
    assert m.encodings == {"deals.csv": "cp1252"}
    assert "detected: not UTF-8" in text


def test_aliases_use_a_tight_cutoff():
    counts = [("Software", 5), ("Hardware", 3), ("software ", 1), ("Logistik", 2), ("Logstik", 1)]
    aliases = _aliases(counts)
    assert aliases["software "][0] == "Software"  # another spacing
    assert aliases["Logstik"] == ("Logistik", "CHECK: a typo of it?")  # of a more frequent value
    assert "Hardware" not in aliases  # 0.75 alike: a different word
    assert _aliases([("technolgy", 2), ("medical", 1)]) == {
        "technolgy": ("technology", "CHECK: a typo of a common name?")
    }
    assert _aliases([("media", 2), ("medical", 2)]) == {}


def test_header_names_are_normalised():
    assert _norm("Close_Date") == _norm("closeDate") == _norm(" CLOSE  DATE ") == "close date"
    assert _norm("Währung") == "wahrung"


# ---------------------------------------------------------------------------------------------
# The command, and the suggestion used as it is


def test_cli_prints_the_suggestion(capsys):
    args = [str(p) for p in SAMPLE]
    assert main(["import", *args, "--suggest"]) == 0
    out = capsys.readouterr().out
    assert out == suggest(args)
    parse_mapping(out)


def test_suggest_writes_nothing(tmp_path):
    src = write(tmp_path / "deals.csv", "id,partner,amount,closed,stage\n1,A,5,2025-01-02,won\n")
    suggest([str(src)])
    assert [p.name for p in tmp_path.iterdir()] == ["deals.csv"]


def test_crm_sample_suggestion_imports_as_it_is(tmp_path):
    args = [str(p) for p in SAMPLE]
    mapping = parse_mapping(suggest(args), "suggested.toml")
    db = tmp_path / "channel.duckdb"
    summary = import_sources(args, mapping, db)
    assert summary.direct_deals == 1  # ECDT4X0B names no account
    con = duckdb.connect(str(db), read_only=True)
    try:
        partners = con.sql(
            "select partner_id, segment, region, partner_manager from partners order by 1"
        ).fetchall()
        deals = con.sql(
            "select deal_id, status, amount, vertical from deals order by deal_id"
        ).fetchall()
        targets = con.sql("select count(*) from targets").fetchall()[0][0]
    finally:
        con.close()
    assert partners == [
        ("Acme Corporation", "Enterprise", "United States", "Melvin Marxen"),
        ("Betasoloin", "Midmarket", "United States", "Celia Rouche"),
        ("Cancity", "Enterprise", "United States", "Dustin Brinkmann"),
        ("Codehow", "Enterprise", "United States", "Dustin Brinkmann"),
        ("Konex", "Enterprise", "United States", "Melvin Marxen"),
    ]
    assert ("LAA36P3U", "open", 0.0, "medical") in deals
    assert ("Z063OYW0", "won", 4514.0, "technology") in deals  # technolgy, aliased
    assert len(deals) == 8
    assert targets > 0  # derived by the prior-year rule
