"""The benchmark report: figures written by a script, read back, laid out in one table, and put
into the README's marked section (the benchmarks themselves are scripts, not tests)."""

from __future__ import annotations

import textwrap

import pytest

from bench import report
from bench.figures import Figure, load, save


def test_the_ratio_is_value_over_baseline_unless_given():
    assert Figure("rate", 30.0, "req/s", 60.0).ratio == pytest.approx(0.5)
    assert Figure("rate", 30.0, "req/s", 60.0, ratio=0.4).ratio == pytest.approx(0.4)
    assert Figure("verifications", 1500.0, "/s").ratio is None


def test_figures_survive_the_json_round_trip(tmp_path):
    figures = [
        Figure("detail", 6000.0, "req/s", 20000.0, "bare handler", ">= 60%", False),
        Figure("verifications", 1500.0, "/s"),
    ]
    save(str(tmp_path / "api.json"), "api", figures)
    assert load(tmp_path / "api.json") == figures


def test_without_json_nothing_is_written(tmp_path):
    save(None, "api", [Figure("detail", 1.0, "req/s")])
    assert not list(tmp_path.iterdir())


def test_rows_show_value_baseline_ratio_target_and_result():
    run = report.BenchRun("etl", [])
    run.figures = [
        Figure("full load", 4000.0, "docs/s", 5000.0, "helpers.bulk", ">= 50%", True),
        Figure("p99", 27.4, "ms", 18.5, "bare", "<= 10 ms", False),
        Figure("verifications", 1504.0, "/s"),
    ]
    failed = report.BenchRun("auth", [], error="auth.py failed (exit code 1)")
    rows = report.rows([run, failed])
    assert rows[0] == (
        "etl",
        "full load",
        "4,000 docs/s",
        "5,000 docs/s: helpers.bulk",
        "80%",
        ">= 50%",
        "pass",
    )
    assert rows[1][2:] == ("27.4 ms", "18.5 ms: bare", "148%", "<= 10 ms", "FAIL")
    assert rows[2][2:] == ("1,504 /s", "", "", "", "")
    assert rows[3] == ("auth", "auth.py failed (exit code 1)", "", "", "", "", "ERROR")


def test_the_plain_table_lines_up_its_columns():
    rows = [
        ("api", "a long figure name", "6,337 req/s", "x", "30%", ">= 60%", "FAIL"),
        ("auth", "b", "2.2 /s", "", "", "", ""),
    ]
    header, rule, first, second = report.plain_table(rows).splitlines()
    assert header.startswith("bench") and set(rule) == {"-", " "}
    # Text starts in one column, numbers end in one column.
    assert first.index("a long") == second.index("b ") == header.index("figure")
    assert first.index("6,337 req/s") + len("6,337 req/s") == second.index("2.2 /s") + len("2.2 /s")


def test_the_markdown_table_has_one_row_per_figure():
    rows = [("api", "a|b", "1 ms", "", "", "", "")]
    table = report.markdown_table(rows).splitlines()
    assert table[0].startswith("| bench | figure |")
    assert table[1].count("|") == len(report.HEADER) + 1
    assert table[2] == "| api | a\\|b | 1 ms |  |  |  |  |"


def test_the_readme_section_is_replaced_and_nothing_else(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nbefore\n{report.START_MARK}\nold\n{report.END_MARK}\nafter\n")
    section = report.readme_section("Run today.", ["bench/etl.py --films 10"], "| t |")
    assert report.update_readme(section, readme)
    text = readme.read_text()
    assert text.startswith("# Title\n\nbefore\n") and text.endswith("\nafter\n")
    assert "old" not in text and "Run today." in text and "`bench/etl.py --films 10`" in text
    # Twice gives the same file: the markers stay.
    assert report.update_readme(section, readme) and readme.read_text() == text


def test_a_readme_without_markers_is_left_alone(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# Title\n")
    assert not report.update_readme("section", readme)
    assert readme.read_text() == "# Title\n"


def test_a_script_run_yields_its_figures_or_its_failure(tmp_path):
    good = tmp_path / "good.py"
    good.write_text(
        textwrap.dedent("""
        import sys
        from bench.figures import Figure, save
        save(sys.argv[sys.argv.index("--json") + 1], "good", [Figure("x", float(sys.argv[1]), "ms")])
        """)
    )
    bad = tmp_path / "bad.py"
    bad.write_text("raise SystemExit(3)\n")
    silent = tmp_path / "silent.py"
    silent.write_text("")

    run = report.run_bench("good", ["2.5"], tmp_path, good)
    assert run.error == "" and run.figures == [Figure("x", 2.5, "ms")]
    assert report.run_bench("bad", [], tmp_path, bad).error == "bad.py failed (exit code 3)"
    assert report.run_bench("silent", [], tmp_path, silent).error == "silent.py wrote no figures"
