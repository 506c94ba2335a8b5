"""The dbt docs site as one offline page: it builds, keeps dbt's tracker off, and headless
Chromium, with every host name unresolvable, renders the overview, a mart's page and the
report's exposure."""

from __future__ import annotations

import pytest

from conftest import chromium_dom, run_dbt


@pytest.fixture(scope="module")
def site(built_world):
    project = built_world.parent / "project"
    result = run_dbt(project, built_world, "docs", "generate", "--static")
    assert result.returncode == 0, result.stdout[-3000:]
    return project / "target" / "static_index.html"


def _rendered(page, fragment: str, tmp_path) -> str:
    return chromium_dom(f"{page.as_uri()}#!/{fragment}", tmp_path / "profile")


def test_the_page_keeps_the_tracker_off(site):
    assert '"send_anonymous_usage_stats": false' in site.read_text()


def test_chromium_renders_the_overview(site, tmp_path):
    dom = _rendered(site, "overview", tmp_path)
    assert ">Proving Ground: a product-analytics warehouse with its answer key" in dom


def test_chromium_renders_a_marts_description_and_its_metric_definition(site, tmp_path):
    dom = _rendered(site, "model/model.proving_ground.fct_cohort_retention", tmp_path)
    # rendered markdown, not the manifest's JSON the page carries
    assert "<p>One row per signup cohort (month)" in dom
    assert "<strong>Retention</strong> (Amplitude, PostHog)" in dom


def test_chromium_renders_the_reports_exposure(site, tmp_path):
    dom = _rendered(site, "exposure/exposure.proving_ground.product_report", tmp_path)
    assert "<p>One static HTML page, " in dom
