"""Import data: a CRM export from the browser, mapped, previewed, validated and loaded.

The steps are the command line's (``python -m channel import``): the same first mapping
(``--suggest`` or a preset), the same importer, the same loader and atomic swap. The page edits
the mapping document (the TOML as a dict) with widgets, previews a dry run, and only then lets
the load run. Who may see it: ``channel/access.py`` (``[access] import``, or ``allow_import``
with sign-in off); the page checks again itself, so a link cannot get around the navigation.
"""

from __future__ import annotations

import copy
import datetime as dt

import polars as pl
import streamlit as st

from channel import ui
from channel.contract import TABLES_BY_NAME
from channel.ingest import readers, values
from channel.ingest import workbench as wb
from channel.ingest.mapping import RULES, MappingError
from channel.loader import LoadError
from channel.settings import SettingsError, db_path, load_settings

NOT_MAPPED = "— not mapped —"
CONSTANT = "(a constant)"
EXPRESSION = "(an expression)"
STATUSES = ["won", "lost", "open"]
UNSET = "— choose —"
UNMAPPED = "— unmapped —"
MAX_STAGE_BOXES = 30  # more distinct stages than this are edited as a table
TARGET_CHOICES = {
    "none": "No targets (attainment is not shown)",
    "file": "From a file",
    "prior_year": "Derived: the same quarter a year earlier, plus growth",
    "trailing_mean": "Derived: the mean of the last quarters, plus growth",
}
START = {
    "suggest": "Suggested from the files",
    "salesforce": "Salesforce preset",
    "hubspot": "HubSpot preset",
    "saved": "A saved mapping (TOML)",
}
SEPARATORS = {f"{values.amount_example(d, t)}": (d, t) for d, t in values.AMOUNT_CANDIDATES}

if "import_state" not in st.session_state and "import_routed" not in st.session_state:
    # the first run of this page in a session: a deep link to a fresh server ran it without
    # app.py (Streamlit's pages/-folder mode); current_filters() hands it back to app.py, once.
    # Later runs never rerun here, which would drop a button's click; and the page checks its
    # viewer itself, whichever way it was reached.
    st.session_state["import_routed"] = True
    ui.current_filters()
viewer = ui.current_viewer()
if not viewer.can_import:
    st.title("Import data")
    st.error(
        "You may not import data: importing replaces everyone's data. An administrator can add "
        "your address under `import` in the `[access]` settings.",
        icon=":material/lock:",
    )
    st.stop()

st.title("Import data")
st.caption(
    "Bring a CRM export in as it is (a Salesforce report, a HubSpot export, or any accounts and "
    "deals files): map its columns, check every row, then load it. Nothing changes until the "
    "load, and a load that fails changes nothing. The same as `python -m channel import` "
    "(README, 'Import from a CRM export')."
)
state = st.session_state.setdefault("import_state", {"generation": 0})


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def problems_block(problems, more=(), headline: str | None = None) -> None:
    """Problems as a grouped summary and a full table with a CSV download."""
    table = wb.problem_table(list(problems), list(more))
    table = table.with_columns(pl.col("file").replace(str(db_path()), "the dashboard's database"))
    total = int(table["rows"].sum()) if table.height else 0
    st.error(
        headline
        or f"{total:,} problem{'s' if total != 1 else ''} to fix before the load. Each names the "
        "source file, the line, the column, the value, and the mapping rule behind it.",
        icon=":material/error:",
    )
    st.dataframe(
        wb.problem_groups(table),
        hide_index=True,
        column_config={"rows": st.column_config.NumberColumn("rows", format="%d")},
    )
    if any(p.reason.startswith("no rule maps this value") for p in problems):
        st.caption(
            "An unmapped stage or value: choose what it counts as in step 2 (or add it to "
            "the mapping's value map)."
        )
    with st.expander(f"Every problem listed ({plural(table.height, 'row')})"):
        st.dataframe(table.drop("rows"), hide_index=True)
        ui.download_csv(wb.csv_safe(table), "import-problems.csv", key="import_problems_csv")


# --- 1. Upload ------------------------------------------------------------------------------
st.subheader("1. Upload the export")
uploads = st.file_uploader(
    "CRM export files: CSV, XLSX (the first sheet) or Parquet",
    # no type=: Streamlit would refuse another type with an exception; save_uploads names it
    accept_multiple_files=True,
    key="import_files",
    help="A deals (opportunities) file, and optionally an accounts file and lookup files such "
    "as sales teams. At most 200 MB per file.",
)
start = st.radio(
    "Start the mapping from",
    list(START),
    format_func=START.get,
    horizontal=True,
    key="import_start",
)
saved = None
if start == "saved":
    saved = st.file_uploader("Saved mapping", type=["toml"], key="import_saved")
if not uploads:
    wb.remove_folder(state.get("folder"))
    state.clear()
    state["generation"] = 0
    st.info("Upload the export's files to begin.", icon=":material/upload_file:")
    st.stop()
if start == "saved" and saved is None:
    st.info(
        "Upload the saved mapping (a .toml file saved from this page or written for the "
        "command line)."
    )
    st.stop()

signature = (
    tuple((f.name, f.size, f.file_id) for f in uploads),
    start,
    saved.file_id if saved is not None else None,
)
if state.get("signature") != signature:
    wb.remove_folder(state.get("folder"))
    generation = state.get("generation", 0) + 1
    state.clear()
    state["generation"] = generation
    folder = wb.new_upload_folder()
    state["folder"] = folder
    try:
        with st.spinner("Reading the files…"):
            paths = wb.save_uploads([(f.name, f.getvalue()) for f in uploads], folder)
            preset = start if start in ("salesforce", "hubspot") else None
            doc, origin = wb.first_mapping(
                paths, preset, saved.getvalue() if saved is not None else None
            )
    except (wb.UploadError, MappingError, readers.SourceError) as error:
        wb.remove_folder(folder)
        state.clear()
        state["generation"] = generation
        problems_block(error.problems)
        st.stop()
    state.update(signature=signature, paths=paths, doc=doc, origin=origin)


def download_mapping(doc: dict) -> None:
    st.download_button(
        "Download the mapping (TOML)",
        wb.to_toml(doc),
        file_name="channel-mapping.toml",
        mime="application/toml",
        icon=":material/download:",
        key=f"imp{state['generation']}:download",
        help="Keep it for next month: upload it here under 'A saved mapping', or run "
        "python -m channel import SOURCE... --mapping channel-mapping.toml",
    )


def private(text: str) -> str:
    """A report without the server's paths: the database is "the dashboard's database"."""
    return text.replace(str(db_path()), "the dashboard's database")


def show_loaded() -> None:
    report, when, loaded_doc = state["loaded"]
    st.success(
        f"Loaded on {when:%Y-%m-%d at %H:%M} UTC. Every open page shows the new data on its "
        "next click.",
        icon=":material/done_all:",
    )
    st.code(private(report), language=None, wrap_lines=True)
    st.page_link("pages/overview.py", label="Open the Overview", icon=":material/dashboard:")
    download_mapping(loaded_doc)
    st.caption(
        "The uploaded files were removed from the server. To import another export, remove the "
        "files above and upload the new ones."
    )


if "loaded" in state:
    show_loaded()
    st.stop()

paths = state["paths"]
names = [p.name for p in paths]
by_name = wb.source_names(paths)
headers = {n: wb.headers(p) for n, p in by_name.items()}
gen = state["generation"]
base = state["doc"]
doc = copy.deepcopy(base)
st.caption(f"Files: {', '.join(names)}. The mapping starts from {state['origin']}.")


def key(*parts: str) -> str:
    return f"imp{gen}:" + ":".join(parts)


def file_of(table: str) -> str | None:
    section = doc.get(table, {})
    file = section.get("file")
    if file in by_name:
        return file
    if len(names) == 1 and file is not None:
        return names[0]  # the one file given stands for the mapping's (as on the CLI)
    return None


# --- 2. Map ---------------------------------------------------------------------------------
st.subheader("2. Map the columns")
st.caption(
    "Each contract column comes from a source column, a constant or an expression. Choices "
    "marked AMBIGUOUS must be made by you: nothing is guessed where two readings are possible."
)


def rule_widgets(table: str, column: str, file: str | None, source_headers: list[str]) -> None:
    """A contract column's source, and the options its kind needs; writes into ``doc``."""
    col = TABLES_BY_NAME[table].column(column)
    rules = doc.setdefault(table, {}).setdefault("columns", {})
    rule = rules.get(column)
    spec = {"column": rule} if isinstance(rule, str) else dict(rule or {})
    options = [NOT_MAPPED, *source_headers, CONSTANT, EXPRESSION]
    if "expr" in spec:
        current = EXPRESSION
    elif "value" in spec:
        current = CONSTANT
    elif spec.get("column") in source_headers:
        current = spec["column"]
    else:
        current = NOT_MAPPED
    label = f"{column}{' (required)' if col.required else ''}"
    left, right = st.columns([2, 3])
    choice = left.selectbox(
        label,
        options,
        index=options.index(current),
        key=key(table, column, "src"),
        help=f"{col.kind}; example: {col.example}",
    )
    if choice == NOT_MAPPED:
        rules.pop(column, None)
        if spec.get("column") and spec["column"] not in source_headers:
            right.warning(f"The mapping named {spec['column']!r}, which {file} does not have.")
        return
    if choice == CONSTANT:
        value = right.text_input(
            "Constant", str(spec.get("value", "")), key=key(table, column, "v")
        )
        spec = {"value": value}
    elif choice == EXPRESSION:
        expr = right.text_input(
            "Expression",
            str(spec.get("expr", "")),
            key=key(table, column, "e"),
            help='first_nonempty(a, b), concat(a, " ", b), bands(col, [limits], [labels]), '
            'lookup("file.csv", key, value), most_frequent(expr) — README, "The mapping file".',
        )
        spec = {k: v for k, v in spec.items() if k not in ("column", "value")} | {"expr": expr}
    else:
        spec = {k: v for k, v in spec.items() if k not in ("value", "expr")} | {"column": choice}
    if col.kind == "date" and choice not in (CONSTANT,):
        date_widgets(table, column, spec, file, choice, right)
    if column == "status" and choice in source_headers and file is not None:
        stage_widgets(table, spec, by_name[file], choice)
    if column == "vertical":
        alias_widgets(table, column, spec)
    rules[column] = spec


def date_widgets(table, column, spec, file, choice, where) -> None:
    fmt = spec.get("format") or doc.get("defaults", {}).get("date_format")
    formats = [UNSET, *values.DATE_CANDIDATES]
    shown = fmt if fmt in values.DATE_CANDIDATES else UNSET
    chosen = where.selectbox(
        "Date format",
        formats,
        index=formats.index(shown),
        format_func=lambda f: f if f == UNSET else values.date_format_words(f),
        key=key(table, column, "fmt"),
    )
    if chosen != UNSET:
        spec["format"] = chosen
    else:
        spec.pop("format", None)
    if file is not None and choice in headers.get(file, []):
        words, examples = wb.date_reading(by_name[file], choice, spec.get("format"))
        where.caption(f"Reads as {words}" + (": " + ", ".join(examples) if examples else ""))
    if wb.needs_choice(fmt) and chosen == UNSET:
        where.warning("AMBIGUOUS: the dates read two ways. Choose the format.")


def stage_widgets(table: str, spec: dict, path, column: str) -> None:
    """Each distinct stage with a won / lost / open choice (a table past MAX_STAGE_BOXES)."""
    mapping = spec.get("map") or {}
    found = wb.distinct_values(path, column)
    fallback = mapping.get("*")
    st.caption(
        f"Stages in {column!r}: choose won, lost or open for each. A stage left unmapped stops "
        "the import and is named; a stage a later export brings is "
        + (f'counted as {fallback} (the mapping\'s "*").' if fallback else "named too.")
    )
    chosen: dict[str, str | None] = {}
    stages = list(zip(found["value"].to_list(), found["count"].to_list(), strict=True))
    # exact keys, then patterns ("Closed Won*"), then "*": as the import reads the map
    now_as = dict(
        zip(
            found["value"].to_list(),
            wb.stage_statuses(found["value"].to_list(), mapping, bool(spec.get("case_sensitive"))),
            strict=True,
        )
    )
    if len(stages) <= MAX_STAGE_BOXES:
        boxes = st.columns(3)
        for i, (stage, rows) in enumerate(stages):
            now = now_as[stage]
            options = [UNMAPPED, *STATUSES]
            pick = boxes[i % 3].selectbox(
                f"{stage} ({plural(rows, 'row')})",
                options,
                index=options.index(now) if now in STATUSES else 0,
                key=key(table, "status", "stage", stage),
            )
            chosen[stage] = None if pick == UNMAPPED else pick
    else:
        rows = pl.DataFrame(
            {
                "stage": [s for s, _ in stages],
                "rows": [n for _, n in stages],
                "counts as": [now_as[s] for s, _ in stages],
            },
            schema={"stage": pl.String, "rows": pl.Int64, "counts as": pl.String},
        )
        edited = st.data_editor(
            rows,
            hide_index=True,
            disabled=["stage", "rows"],
            column_config={"counts as": st.column_config.SelectboxColumn(options=STATUSES)},
            key=key(table, "status", "map"),
        )
        chosen = dict(zip(edited["stage"], edited["counts as"], strict=True))
    new_map = {stage: status for stage, status in chosen.items() if status}
    # patterns ("Closed Won*") and the catch-all stay, for stages a later export may bring;
    # an explicit "unmapped" choice beats them
    new_map |= {k: v for k, v in mapping.items() if "*" in k}
    unmapped = [stage for stage, status in chosen.items() if status is None]
    if unmapped and "*" in new_map:
        for stage in unmapped:
            st.warning(
                f'{stage!r} is left unmapped, but the mapping\'s "*" counts it as {new_map["*"]}.'
            )
    spec["map"] = new_map


def alias_widgets(table: str, column: str, spec: dict) -> None:
    aliases = spec.get("aliases") or {}
    with st.expander(f"Aliases for {column} ({len(aliases)})"):
        st.caption("Typos and second spellings folded into one, matched without case or blanks.")
        frame = pl.DataFrame(
            {"spelling": list(aliases), "becomes": list(aliases.values())},
            schema={"spelling": pl.String, "becomes": pl.String},
        )
        edited = st.data_editor(
            frame, num_rows="dynamic", hide_index=True, key=key(table, column, "aliases")
        )
        pairs = {
            s: b for s, b in zip(edited["spelling"], edited["becomes"], strict=True) if s and b
        }
        if pairs:
            spec["aliases"] = pairs
        else:
            spec.pop("aliases", None)


deals_tab, partners_tab, targets_tab, formats_tab = st.tabs(
    ["Deals", "Partners", "Targets", "Formats and currencies"]
)

with deals_tab:
    current = file_of("deals")
    file = st.selectbox(
        "Deals file",
        names,
        index=names.index(current) if current in names else 0,
        key=key("deals", "file"),
    )
    doc.setdefault("deals", {})["file"] = file
    st.caption("Deals with an empty partner are direct deals: left out, and counted.")
    for c in TABLES_BY_NAME["deals"].columns:
        rule_widgets("deals", c.name, file, headers[file])

with partners_tab:
    section = doc.setdefault("partners", {})
    derived = section.get("from_deals", False) or "file" not in section
    how = st.radio(
        "Partners come from",
        ["deals", "file"],
        index=0 if derived else 1,
        horizontal=True,
        format_func={
            "deals": "The deals (one partner per partner name)",
            "file": "An accounts file",
        }.get,
        key=key("partners", "how"),
    )
    if how == "deals":
        section.pop("file", None)
        section["from_deals"] = True
        st.caption(
            "Each column takes its most frequent value over the partner's deals; segment "
            "defaults to Mixed and region to Unassigned."
        )
        deal_file = doc["deals"]["file"]
        for c in TABLES_BY_NAME["partners"].columns:
            if c.name != "partner_id":
                rule_widgets("partners", c.name, deal_file, headers[deal_file])
    else:
        section.pop("from_deals", None)
        current = file_of("partners")
        file = st.selectbox(
            "Accounts file",
            names,
            index=names.index(current) if current in names else 0,
            key=key("partners", "file"),
        )
        section["file"] = file
        for c in TABLES_BY_NAME["partners"].columns:
            rule_widgets("partners", c.name, file, headers[file])

with targets_tab:
    section = doc.get("targets") or {}
    now = section.get("rule") or ("file" if "file" in section else "none")
    how = st.radio(
        "Targets",
        list(TARGET_CHOICES),
        index=list(TARGET_CHOICES).index(now),
        format_func=TARGET_CHOICES.get,
        key=key("targets", "how"),
    )
    if how == "none":
        doc.pop("targets", None)
        st.caption("The dashboard works without targets; the pages that need them say so.")
    elif how == "file":
        current = file_of("targets")
        file = st.selectbox(
            "Targets file",
            names,
            index=names.index(current) if current in names else 0,
            key=key("targets", "file"),
        )
        doc["targets"] = {"file": file, "columns": section.get("columns", {})}
        for c in TABLES_BY_NAME["targets"].columns:
            rule_widgets("targets", c.name, file, headers[file])
    else:
        assert how in RULES
        growth = st.number_input(
            "Growth (%)",
            value=float(section.get("growth", 0.10)) * 100,
            min_value=-99.0,
            max_value=1000.0,
            step=1.0,
            key=key("targets", "growth"),
        )
        new = {"rule": how, "growth": round(growth / 100, 6)}
        if how == "trailing_mean":
            new["quarters"] = int(
                st.number_input(
                    "Quarters averaged",
                    value=int(section.get("quarters", 4)),
                    min_value=1,
                    max_value=12,
                    key=key("targets", "quarters"),
                )
            )
        doc["targets"] = new
        st.caption("Derived targets are not a plan: every page that shows attainment says so.")

with formats_tab:
    defaults = doc.setdefault("defaults", {})
    pair = (defaults.get("decimal", "."), defaults.get("thousands", ","))
    labels = list(SEPARATORS)
    shown = next((lab for lab, p in SEPARATORS.items() if p == pair), UNSET)
    chosen = st.selectbox(
        "Amounts are written like",
        [UNSET, *labels] if shown == UNSET else labels,
        index=0 if shown == UNSET else labels.index(shown),
        key=key("defaults", "amounts"),
    )
    if chosen != UNSET:
        defaults["decimal"], defaults["thousands"] = SEPARATORS[chosen]
    currency = st.text_input(
        "Load amounts in (ISO code; empty: as written, one currency only)",
        defaults.get("currency", ""),
        key=key("defaults", "currency"),
        max_chars=3,
    )
    if currency.strip():
        defaults["currency"] = currency.strip().upper()
    else:
        defaults.pop("currency", None)
    rates = defaults.get("rates", {})
    st.caption(
        "Rates: units of that currency per unit of another (needed when an export holds "
        "more than one currency)."
    )
    frame = pl.DataFrame(
        {"currency": list(rates), "rate": [float(r) for r in rates.values()]},
        schema={"currency": pl.String, "rate": pl.Float64},
    )
    edited = st.data_editor(
        frame, num_rows="dynamic", hide_index=True, key=key("defaults", "rates")
    )
    new_rates = {
        c.strip().upper(): r
        for c, r in zip(edited["currency"], edited["rate"], strict=True)
        if c and r
    }
    if new_rates:
        defaults["rates"] = new_rates
    else:
        defaults.pop("rates", None)
    as_of = st.date_input(
        "Data as of (empty: the latest deal date, at most today)",
        value=None,
        key=key("defaults", "as_of"),
        format="YYYY-MM-DD",
    )

download_mapping(doc)

# --- 3. Check ------------------------------------------------------------------------------
st.subheader("3. Check every row")
try:
    settings = load_settings()
except SettingsError as error:
    st.error(f"The settings file cannot be used: {error}")
    st.stop()
target_db = db_path()
checked = state.get("checked")
if st.button("Check the import", type="primary", icon=":material/fact_check:", key=key("check")):
    with st.status("Checking every row…", expanded=False) as status:
        result = wb.preview(paths, doc, target_db, settings, as_of, progress=status.write)
        status.update(
            label="Checked: ready to load"
            if result.ok
            else f"Checked: {result.count:,} problem{'s' if result.count != 1 else ''} to fix",
            state="complete" if result.ok else "error",
        )
    state["checked"] = checked = (copy.deepcopy(doc), as_of, result)

if checked is None:
    st.info("Check the import to see the mapped rows and every problem before loading.")
    st.stop()
checked_doc, checked_as_of, result = checked
fresh = checked_doc == doc and checked_as_of == as_of
if not fresh:
    st.warning(
        "The mapping changed since the check: check again before loading.",
        icon=":material/refresh:",
    )
if result.problems:
    problems_block(result.problems, result.more)
elif result.summary is not None:
    st.success("Every row passed. The load will do this:", icon=":material/check_circle:")
    st.code(private(result.summary.report()), language=None, wrap_lines=True)
if result.heads:
    st.caption("The mapped rows, as the load will see them:")
    tabs = st.tabs(
        [
            f"{t} (first {h.height})" if h.height else f"{t} (none yet)"
            for t, h in result.heads.items()
        ]
    )
    for tab, (name, head) in zip(tabs, result.heads.items(), strict=True):
        with tab:
            if head.height:
                st.dataframe(head, hide_index=True)
            else:
                st.caption(f"No {name} rows.")

# --- 4. Load -------------------------------------------------------------------------------
st.subheader("4. Load")
ready = result.ok and fresh
if not ready:
    st.caption(
        "The load stays off until a check finds no problem"
        + (" and the mapping is as it was checked." if result.ok else ": fix them above first.")
    )
if st.button(
    "Load into the dashboard",
    type="primary",
    disabled=not ready,
    icon=":material/database_upload:",
    key=key("load"),
    help=None if ready else "Check the import first; the load stays off while there are problems.",
):
    with st.status("Loading…", expanded=True) as status:
        try:
            summary = wb.run_import(paths, doc, target_db, settings, as_of, progress=status.write)
        except (LoadError, MappingError, readers.SourceError) as error:
            status.update(label="The load failed: nothing was changed", state="error")
            reasons = "; ".join(dict.fromkeys(p.reason for p in error.problems[:3]))
            problems_block(
                error.problems,
                getattr(error, "more", []),
                headline=f"The load failed, and nothing was changed: {reasons}",
            )
            st.stop()
        status.update(label="Loaded", state="complete", expanded=False)
    st.cache_data.clear()
    state["loaded"] = (summary.report(), dt.datetime.now(dt.UTC), copy.deepcopy(doc))
    wb.remove_folder(state.get("folder"))  # the uploads are not needed any more
    st.rerun()
