"""The study report as a document: sections of text, tables and figures, in two renderings.

The report stage builds a list of :class:`Section` objects and renders the same list to
Markdown (``report.md``, for version control) and to one HTML page (``report.html``, which
opens offline: its figures are PNG files beside it, linked by relative paths). Text may
link to a table, a figure or a section with Markdown's ``[label](#anchor)``.

Wide tables are folded: :func:`fold_columns` splits their columns into parts that fit the
page (keeping a model's columns together when they fit), each part a table of its own.
A table with no rows or no columns is never printed: it becomes a one-line note.
"""

import html
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: ``[label](#anchor)`` links inside the text of the report.
_LINK = re.compile(r"\[([^\]]+)\]\(#([A-Za-z0-9_-]+)\)")
#: Characters of a table row that fit the HTML page (1240 px of 14 px text, about 7 px a
#: character, measured in Chromium by benchmarks/screenshot_report.py); each column costs
#: its widest cell plus 3 characters of padding.
ROW_BUDGET = 175
#: Marks an r whose 95% interval contains 0.
CONTAINS_ZERO = "°"


def number(value, digits=2):
    """``value`` with ``digits`` decimals; small values (an MSE ~1e-4) in 3 significant.

    Examples
    --------
    >>> number(0.71749), number(0.000508), number(float("nan"))
    ('0.72', '0.000508', 'n/a')
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "n/a"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(value)
    value = float(value)
    if value != 0 and abs(value) < 0.01:
        return f"{value:.3g}"
    return f"{value:.{digits}f}"


def interval_cell(r, low, high):
    """``(text, contains_zero)`` of a correlation and its 95% interval.

    Examples
    --------
    >>> interval_cell(0.64, 0.31, 0.85)
    ('0.64 [0.31, 0.85]', False)
    >>> interval_cell(-0.05, -0.40, 0.33)
    ('-0.05 [-0.40, 0.33]°', True)
    >>> interval_cell(0.2, float("nan"), float("nan"))
    ('0.20', False)
    """
    if np.isnan(r):
        return "n/a", False
    if np.isnan(low) or np.isnan(high):
        return f"{r:.2f}", False
    zero = bool(low <= 0 <= high)
    return f"{r:.2f} [{low:.2f}, {high:.2f}]" + (CONTAINS_ZERO if zero else ""), zero


def link(label, anchor):
    """A link to ``anchor`` in the report's text: ``[label](#anchor)``."""
    return f"[{label}](#{anchor})"


@dataclass
class Paragraph:
    """Text (with ``[label](#anchor)`` links)."""

    text: str


@dataclass
class Note:
    """One line saying why something is not shown (missing inputs)."""

    text: str


@dataclass
class Bullets:
    """A list of sentences (with links); ``id`` anchors the list."""

    items: list
    id: str = ""


@dataclass
class Table:
    """A table of text cells.

    Attributes
    ----------
    id : str
        Its anchor.
    title : str
    frame : pandas.DataFrame
        Cells as text; columns may be a two-level MultiIndex (group, label), e.g.
        (model, latent); the index name heads the row labels.
    caption : str
        What to look for (with links).
    flagged : pandas.DataFrame of bool, optional
        Cells to grey out (an interval containing 0).
    transpose : bool, default=True
        Print it transposed when that folds it into fewer parts (e.g. a 12-latent model's
        columns become rows).
    """

    id: str
    title: str
    frame: pd.DataFrame
    caption: str = ""
    flagged: pd.DataFrame = None
    transpose: bool = True


@dataclass
class FigureRow:
    """Figures of one kind, side by side (one per model), with one caption.

    ``figures`` is a list of ``(label, relative path)``.
    """

    id: str
    title: str
    figures: list
    caption: str = ""


@dataclass
class Section:
    """A section of the report (``<section id=...>`` / ``## title``)."""

    id: str
    title: str
    blocks: list = field(default_factory=list)


def _label(label):
    """A row or column label as text (a MultiIndex tuple joined by spaces)."""
    return " ".join(map(str, label)) if isinstance(label, tuple) else str(label)


def _width(text):
    return len(_label(text))


def _index_name(frame):
    return frame.index.name or ""


def fold_columns(frame, budget=ROW_BUDGET):
    """Split ``frame``'s columns into parts whose rows fit ``budget`` characters.

    The columns of one group (the first level of a MultiIndex, e.g. one model) stay in
    one part when they fit in one; a group wider than the page is split.

    Parameters
    ----------
    frame : pandas.DataFrame
        Text cells.
    budget : int, default=ROW_BUDGET
        Characters a row may take: the row labels and, per column, its widest cell plus
        3 characters of padding.

    Returns
    -------
    list of list of column labels
        One list per part, in the order of ``frame.columns``.

    Examples
    --------
    >>> import pandas as pd
    >>> cols = pd.MultiIndex.from_product([["VAE", "PCA"], ["Feat. 1", "Feat. 2"]])
    >>> frame = pd.DataFrame([["0.64 [0.31, 0.85]"] * 4], columns=cols, index=["R50"])
    >>> [[" ".join(c) for c in part] for part in fold_columns(frame, budget=60)]
    [['VAE Feat. 1', 'VAE Feat. 2'], ['PCA Feat. 1', 'PCA Feat. 2']]
    """
    index_width = max([_width(_index_name(frame))]
                      + [_width(i) for i in frame.index]) + 3
    room = max(budget - index_width, 1)

    def cost(column):
        label = column[-1] if isinstance(column, tuple) else column
        cells = [_width(v) for v in frame[column]]
        return max([_width(label)] + cells) + 3

    if isinstance(frame.columns, pd.MultiIndex):
        groups = {}
        for column in frame.columns:
            groups.setdefault(column[0], []).append(column)
        groups = list(groups.values())
    else:
        groups = [[c] for c in frame.columns]
    costs = {c: cost(c) for group in groups for c in group}
    parts = _greedy(groups, costs, room)
    # balance: the narrowest room that needs no more parts (no lone column at the end)
    for narrower in range(room // max(len(parts), 1), room):
        balanced = _greedy(groups, costs, narrower)
        if len(balanced) <= len(parts):
            return balanced
    return parts


def _greedy(groups, costs, room):
    """Fill parts of at most ``room`` characters, a group whole when it fits in one."""
    parts, current, used = [], [], 0
    for group in groups:
        width = sum(costs[c] for c in group)
        if current and used + width > room:
            parts.append(current)
            current, used = [], 0
        if width <= room:
            current += group
            used += width
            continue
        for column in group:  # a group wider than the page: split it
            if current and used + costs[column] > room:
                parts.append(current)
                current, used = [], 0
            current.append(column)
            used += costs[column]
    if current:
        parts.append(current)
    return parts


def _transposed(frame):
    """``frame.T`` with its row labels as text, headed "latent"."""
    out = frame.T
    out.index = pd.Index([_label(i) for i in out.index], name="latent")
    out.columns.name = None
    return out


def _table_parts(table):
    """``(title, frame, flagged)`` of each part of ``table``, folded to fit the page."""
    frame, flagged = table.frame, table.flagged
    parts = fold_columns(frame)
    if table.transpose and len(parts) > 1:
        turned = _transposed(frame)
        other = fold_columns(turned)
        if len(other) < len(parts):
            frame, parts = turned, other
            flagged = None if flagged is None else _transposed(flagged)
    n = len(parts)
    for k, columns in enumerate(parts):
        title = table.title if n == 1 else f"{table.title} (part {k + 1} of {n})"
        yield title, frame[columns], None if flagged is None else flagged[columns]


def _is_empty(table):
    return table.frame.shape[0] == 0 or table.frame.shape[1] == 0


# ----------------------------------------------------------------------------- Markdown


def _md_text(text):
    return text


def _md_table(frame):
    def cell(value):
        return _label(value).replace("|", "\\|")

    head = (f"| {cell(_index_name(frame))} | "
            + " | ".join(cell(c) for c in frame.columns) + " |")
    rule = "|---" * (len(frame.columns) + 1) + "|"
    rows = [f"| {cell(i)} | " + " | ".join(cell(v) for v in row) + " |"
            for i, row in zip(frame.index, frame.itertuples(index=False), strict=True)]
    return [head, rule, *rows]


def _md_block(block):
    if isinstance(block, Paragraph):
        return [_md_text(block.text), ""]
    if isinstance(block, Note):
        return [f"*{_md_text(block.text)}*", ""]
    if isinstance(block, Bullets):
        anchor = [f'<a id="{block.id}"></a>', ""] if block.id else []
        return [*anchor, *[f"- {_md_text(item)}" for item in block.items], ""]
    if isinstance(block, Table):
        if _is_empty(block):
            return [f"*{block.title}: nothing to show.*", ""]
        lines = [f'<a id="{block.id}"></a>', ""]
        for title, frame, _ in _table_parts(block):
            lines += [f"**{title}**", "", *_md_table(frame), ""]
        if block.caption:
            lines += [f"*{_md_text(block.caption)}*", ""]
        return lines
    if isinstance(block, FigureRow):
        lines = [f'<a id="{block.id}"></a>', "", f"**{block.title}**", ""]
        for label, path in block.figures:
            lines += [f"![{label}]({path})", ""]
        if block.caption:
            lines += [f"*{_md_text(block.caption)}*", ""]
        return lines
    msg = f"unknown report block {type(block).__name__}"
    raise TypeError(msg)


def render_markdown(title, header, sections):
    """The report as Markdown: title, header sentences, contents, sections."""
    lines = [f"# {title}", "", *[f"{line}\n" for line in header]]
    lines += ["## Contents", "",
              *[f"- {link(s.title, s.id)}" for s in sections], ""]
    for section in sections:
        lines += [f'<a id="{section.id}"></a>', "", f"## {section.title}", ""]
        for block in section.blocks:
            lines += _md_block(block)
    return "\n".join(lines).rstrip() + "\n"


# --------------------------------------------------------------------------------- HTML


def _html_text(text):
    """Escape ``text`` and turn its ``[label](#anchor)`` links into ``<a>`` elements."""
    return _LINK.sub(lambda m: f'<a href="#{m.group(2)}">{m.group(1)}</a>',
                     html.escape(text, quote=False))


def _html_table(title, frame, flagged):
    esc = html.escape
    out = [f"<table><caption>{esc(title)}</caption><thead>"]
    if isinstance(frame.columns, pd.MultiIndex):
        groups = []
        for column in frame.columns:
            if groups and groups[-1][0] == column[0]:
                groups[-1][1] += 1
            else:
                groups.append([column[0], 1])
        out.append("<tr><th></th>" + "".join(
            f'<th colspan="{n}" scope="colgroup">{esc(str(g))}</th>' for g, n in groups)
            + "</tr>")
        labels = [c[-1] for c in frame.columns]
    else:
        labels = [_label(c) for c in frame.columns]
    out.append(f'<tr><th scope="col">{esc(_index_name(frame))}</th>'
               + "".join(f'<th scope="col">{esc(str(c))}</th>' for c in labels)
               + "</tr></thead><tbody>")
    for i, (label, row) in enumerate(zip(frame.index, frame.itertuples(index=False),
                                         strict=True)):
        cells = []
        for j, value in enumerate(row):
            grey = flagged is not None and bool(flagged.iat[i, j])
            attrs = (' class="ci0" title="the 95% interval contains 0"' if grey else "")
            cells.append(f"<td{attrs}>{esc(str(value))}</td>")
        out.append(f'<tr><th scope="row">{esc(_label(label))}</th>{"".join(cells)}</tr>')
    out.append("</tbody></table>")
    return "".join(out)


def _html_block(block):
    if isinstance(block, Paragraph):
        return f"<p>{_html_text(block.text)}</p>"
    if isinstance(block, Note):
        return f'<p class="note">{_html_text(block.text)}</p>'
    if isinstance(block, Bullets):
        anchor = f' id="{block.id}"' if block.id else ""
        return (f"<ul{anchor}>" + "".join(f"<li>{_html_text(i)}</li>" for i in block.items)
                + "</ul>")
    if isinstance(block, Table):
        if _is_empty(block):
            return f'<p class="note">{html.escape(block.title)}: nothing to show.</p>'
        parts = "".join(_html_table(*part) for part in _table_parts(block))
        caption = (f'<p class="caption">{_html_text(block.caption)}</p>'
                   if block.caption else "")
        return f'<div class="tables" id="{block.id}">{parts}{caption}</div>'
    if isinstance(block, FigureRow):
        figures = "".join(
            f'<figure><a href="{html.escape(path)}"><img src="{html.escape(path)}" '
            f'alt="{html.escape(block.title)}: {html.escape(label)}"></a>'
            f"<figcaption>{html.escape(label)}</figcaption></figure>"
            for label, path in block.figures)
        caption = (f'<p class="caption">{_html_text(block.caption)}</p>'
                   if block.caption else "")
        single = " single" if len(block.figures) == 1 else ""
        return (f'<div class="figure-row{single}" id="{block.id}"><h3>{html.escape(block.title)}'
                f'</h3><div class="figures">{figures}</div>{caption}</div>')
    msg = f"unknown report block {type(block).__name__}"
    raise TypeError(msg)


#: The page's style: readable text, tables that fit, figures side by side.
STYLE = (
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
    "max-width:1240px;margin:0 auto;padding:0 16px 3em;line-height:1.45;color:#222}"
    "h1{margin-top:.6em}h2{border-bottom:1px solid #ccc;padding-bottom:2px;margin-top:1.8em}"
    "h3{font-size:1.02em;margin:1.2em 0 .4em}"
    "#header li,#toc li{margin:.15em 0}#toc{columns:2;max-width:700px}"
    ".tables{overflow-x:auto;margin:.8em 0}"
    "table{border-collapse:collapse;margin:.4em 0 .8em;font-size:14px;"
    "font-variant-numeric:tabular-nums}"
    "caption{text-align:left;font-weight:600;padding:2px 0 4px}"
    "td,th{padding:2px 8px;text-align:right;white-space:nowrap}"
    "th[scope=row]{text-align:left;font-weight:normal}"
    "thead th{border-bottom:1px solid #999}"
    "tbody tr:nth-child(even){background:#f4f4f4}"
    "td.ci0{color:#999}"
    ".figures{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}"
    "figure{margin:0;flex:1 1 260px;max-width:560px}"
    ".single figure{max-width:900px}"
    "figure img{width:100%;height:auto;border:1px solid #e2e2e2}"
    "figcaption{font-size:13px;text-align:center}"
    ".caption{font-size:13px;color:#444;max-width:950px}"
    ".note{color:#555;font-style:italic}"
)


def render_html(title, header, sections):
    """The report as one HTML page (figures linked by relative paths)."""
    esc = html.escape
    head = "".join(f"<li>{_html_text(line)}</li>" for line in header)
    toc = "".join(f'<li><a href="#{s.id}">{esc(s.title)}</a></li>' for s in sections)
    body = [f"<h1>{esc(title)}</h1>", f'<ul id="header">{head}</ul>',
            f'<nav><h2>Contents</h2><ol id="toc">{toc}</ol></nav>']
    for section in sections:
        body.append(f'<section id="{section.id}"><h2>{esc(section.title)}</h2>'
                    + "".join(_html_block(b) for b in section.blocks) + "</section>")
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>"
            + "".join(body) + "</body></html>\n")
