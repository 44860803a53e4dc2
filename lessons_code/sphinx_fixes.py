"""A Sphinx extension that repairs the HTML of the book build.

With Sphinx 7.4, an inline script that an extension registers while documents are
read (sphinx-thebe's configuration script) is written twice into every page: once
from the extension registry (file name ``""``) and once from the builder (file name
``None``), which the builder's own duplicate check does not match. The browser then
reports ``Identifier 'THEBE_JS_URL' has already been declared`` on every page. This
extension drops repeated scripts from each page's context before it is rendered.

It also gives the theme a default colour mode (template variable ``default_mode``):
without one, the theme's script logs ``Got invalid theme mode`` as a console error
for every first-time visitor.

It is listed under ``sphinx.extra_extensions`` in ``_config.yml``.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def _script_key(script: Any) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Return what makes two page scripts the same: file (or none) and attributes.

    The priority is left out: the two copies of a repeated script differ in it.
    """
    attributes = getattr(script, "attributes", {}) or {}
    items = tuple(sorted((str(k), str(v)) for k, v in attributes.items()))
    return (str(getattr(script, "filename", script) or ""), items)


def dedupe_scripts(
    app: Any, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    """Remove repeated entries from ``context["script_files"]``, keeping order.

    Parameters
    ----------
    app
        The Sphinx application (unused).
    pagename
        Name of the page being rendered.
    templatename
        Template used for the page (unused).
    context
        Template context; its ``script_files`` list is edited in place.
    doctree
        The page's document tree (unused).
    """
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    unique = []
    for script in scripts:
        key = _script_key(script)
        if key in seen:
            continue
        seen.add(key)
        unique.append(script)
    if len(unique) < len(scripts):
        dropped = len(scripts) - len(unique)
        log.debug("%s: dropped %d repeated scripts", pagename, dropped)
    context["script_files"] = unique


def default_colour_mode(app: Any, config: Any) -> None:
    """Set the template variable ``default_mode`` to ``"auto"`` unless one is given.

    Parameters
    ----------
    app
        The Sphinx application (unused).
    config
        The Sphinx configuration; its ``html_context`` is edited in place.
    """
    context = dict(config.html_context or {})
    if not context.get("default_mode"):
        context["default_mode"] = "auto"
        config.html_context = context


def setup(app: Any) -> dict[str, Any]:
    """Register the extension with Sphinx.

    Parameters
    ----------
    app
        The Sphinx application.

    Returns
    -------
    dict
        Extension metadata: safe for parallel reading and writing.
    """
    app.connect("config-inited", default_colour_mode)
    app.connect("html-page-context", dedupe_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
