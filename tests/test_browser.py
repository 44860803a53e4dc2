"""The built site works in a real browser.

One fast-mode build of the whole book per test session goes into a temporary folder
and is served on 127.0.0.1; Debian's Chromium, driven by Playwright (never a
downloaded browser), opens every page of ``_toc.yml``. Each page must load without
JavaScript console errors, show every image, render its math, and carry launch
buttons that point at its own source file in the configured repository and branch;
the search page must find a known word. Requests to any other host are blocked, so
the site is also checked to work offline.

Without Chromium the test is skipped, unless ``LESSONS_REQUIRE_BROWSER`` is set (as
``.ci/run`` does): then it fails.
"""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bookfiles import (
    BOOK,
    ROOT,
    config,
    is_executable,
    page_id,
    repository,
    toc_entries,
    toc_pages,
)

from lessons_code.config import FAST_ENV
from lessons_code.student_copies import exercise_notebooks, write_student_copies

CHROMIUM = Path(os.environ.get("LESSONS_CHROMIUM", "/usr/bin/chromium"))
REQUIRE_ENV = "LESSONS_REQUIRE_BROWSER"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-gpu",
]
#: A word of the "Running the course" page, and the page search must return for it.
SEARCH_WORD, SEARCH_PAGE = "Binder", "book/running.html"
MATH_TIMEOUT_MS = 20_000

pytestmark = pytest.mark.slow

PAGES = toc_pages()


def _need_browser() -> None:
    """Skip without Chromium or Playwright, or fail if the browser is required."""
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} not found (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError as exc:
            problem = f"playwright is not importable: {exc}"
    if problem is None:
        return
    if os.environ.get(REQUIRE_ENV):
        pytest.fail(f"{REQUIRE_ENV} is set but the browser check cannot run: {problem}")
    pytest.skip(problem)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Keep the test output free of access logs."""


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the whole book in fast mode into a temporary folder; return its HTML."""
    _need_browser()
    out = tmp_path_factory.mktemp("site")
    write_student_copies(exercise_notebooks(BOOK), BOOK / "_static" / "student")
    env = {**os.environ, FAST_ENV: "1"}
    jupyter_book = str(Path(sys.executable).parent / "jupyter-book")
    result = subprocess.run(
        [jupyter_book, "build", str(ROOT), "--path-output", str(out), "-W"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"fast-mode build failed:\n{log[-8000:]}"
    return out / "_build" / "html"


@pytest.fixture(scope="session")
def base_url(site: Path) -> Iterator[str]:
    """Serve the built site on 127.0.0.1 for the session."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory: pytest.TempPathFactory, base_url: str):
    """Open Chromium with a fresh profile; block every host but the local server."""
    from playwright.sync_api import sync_playwright

    blocked: list[str] = []
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
        )

        def route(r) -> None:
            if r.request.url.startswith(base_url) or r.request.url.startswith("data:"):
                r.continue_()
            else:
                blocked.append(r.request.url)
                r.abort()

        context.route("**/*", route)
        yield context, blocked
        context.close()


def _open(context, url: str):
    """Open a page, collecting console errors and uncaught exceptions."""
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    response = page.goto(url, wait_until="load")
    assert response is not None and response.ok, f"{url}: HTTP error"
    return page, errors


_BROKEN_IMAGES_JS = """async () => {
  const imgs = Array.from(document.images);
  for (const img of imgs) { img.loading = "eager"; }
  await Promise.all(imgs.map(img => img.complete ? null : new Promise(done => {
    img.addEventListener("load", done); img.addEventListener("error", done);
  })));
  return imgs.filter(img => !(img.complete && img.naturalWidth > 0))
             .map(img => img.getAttribute("src"));
}"""

_MATH_JS = """() => {
  const maths = Array.from(document.querySelectorAll(".math"));
  return {
    total: maths.length,
    rendered: maths.filter(m => m.querySelector("mjx-container")).length,
    errors: document.querySelectorAll("mjx-merror").length,
  };
}"""


def _expected_launch(source: Path) -> dict[str, str]:
    """Return the launch URL each configured service must use for a page."""
    url, branch = repository()
    org_repo = urlsplit(url).path.strip("/")
    rel = source.relative_to(ROOT).as_posix()
    launch = config().get("launch_buttons", {})
    expected = {}
    if launch.get("binderhub_url"):
        binder = launch["binderhub_url"].rstrip("/")
        expected[binder] = f"{binder}/v2/gh/{org_repo}/{branch}?urlpath=tree/{rel}"
    if launch.get("colab_url") and source.suffix == ".ipynb":
        colab = launch["colab_url"].rstrip("/")
        expected[colab] = f"{colab}/github/{org_repo}/blob/{branch}/{rel}"
    return expected


@pytest.mark.parametrize("source", PAGES, ids=page_id)
def test_page_in_browser(source: Path, browser_context, base_url: str) -> None:
    browser_context, blocked = browser_context
    html_path = source.relative_to(ROOT).with_suffix(".html").as_posix()
    page, errors = _open(browser_context, base_url + html_path)
    try:
        broken = page.evaluate(_BROKEN_IMAGES_JS)
        assert not broken, f"images that did not load: {broken}"

        if page.locator(".math").count():
            page.wait_for_function(
                "document.querySelectorAll('.math').length === "
                "document.querySelectorAll('.math mjx-container').length",
                timeout=MATH_TIMEOUT_MS,
            )
            math = page.evaluate(_MATH_JS)
            assert math["rendered"] == math["total"] > 0
            assert math["errors"] == 0, "MathJax reports errors in formulas"

        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        expected = _expected_launch(source)
        for service, want in expected.items():
            found = [h for h in hrefs if h.startswith(service)]
            if is_executable(source):
                assert found, f"no {service} launch button"
            assert all(h == want for h in found), f"{found} should be {want}"

        downloads = [h for h in hrefs if "/_downloads/" in h]
        for href in downloads:
            status = page.request.get(href).status
            assert status == 200, f"download link {href} answers {status}"

        page.wait_for_timeout(200)
        assert not errors, f"JavaScript console errors: {errors}"
    finally:
        page.close()
    assert not blocked, (
        f"the site requested other hosts (it must work offline): "
        f"{sorted(set(blocked))[:10]}"
    )


def test_search_finds_a_known_word(browser_context, base_url: str) -> None:
    browser_context, _ = browser_context
    page, errors = _open(browser_context, f"{base_url}search.html?q={SEARCH_WORD}")
    try:
        results = page.locator("#search-results ul.search li a")
        results.first.wait_for(timeout=20_000)
        hrefs = results.evaluate_all("els => els.map(e => e.href)")
        assert any(SEARCH_PAGE in h for h in hrefs), hrefs
        assert not errors, f"JavaScript console errors: {errors}"
    finally:
        page.close()


def test_every_toc_entry_is_visited() -> None:
    assert len(PAGES) == len(toc_entries()) >= 3
