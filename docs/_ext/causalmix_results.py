"""The committed benchmark results, shown in the documentation as they are in the repository.

``.. results-file:: augmenter.md`` (a path under ``benchmarks/results/``) renders a results file
into the page at build time: markdown with markdown-it-py (the ``[docs]`` extra; without it the
file is shown as plain text), other text files as a literal block. The page then says which weights
the file measured, compared with the weights shipped in the package (from the ``sha256`` values
the file quotes), links the file itself, and copies the figures it shows into the built site
(``_results/``). Editing a results file rebuilds its page.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"
MANIFEST = ROOT / "sklearn_causalmix" / "backbones" / "embedded" / "weights" / "default.json"
#: Where the files a results page links or shows are copied, in the built site.
OUT_DIR = "_results"

_SHA = re.compile(r"sha256[^0-9a-f]{0,40}?([0-9a-f]{8,64})", re.I)


def shipped_sha256():
    """The sha256 of the weights shipped in the package (its manifest), or ``""``."""
    if not MANIFEST.is_file():
        return ""
    return json.loads(MANIFEST.read_text(encoding="utf-8")).get("sha256", "")


def measured_weights(text):
    """``(shipped, others)``: whether ``text`` quotes the shipped weights' sha256, and the others."""
    shipped = shipped_sha256()
    quoted = {m.group(1).lower() for m in _SHA.finditer(text)}
    matches = {q for q in quoted if shipped and shipped.startswith(q)}
    others = quoted - matches
    # one entry per set of weights: a prefix quoted elsewhere in full is the same weights
    others = sorted(q for q in others if not any(o != q and o.startswith(q) for o in others))
    return bool(matches), others


def weights_note(text):
    """One sentence on the weights a results file names, or ``""`` when it names none."""
    shipped, others = measured_weights(text)
    if not shipped and not others:
        return ""
    short = shipped_sha256()[:12]
    earlier = ", ".join(f"{o[:12]}..." for o in others)
    if shipped and not others:
        return f"The weights this file names are the ones shipped in the package (sha256 {short}...)."
    if shipped:
        return (
            f"This file names several weights: those shipped in the package (sha256 {short}...) and "
            f"others ({earlier}); each section says which weights it measured."
        )
    return (
        f"Earlier weights: this file names weights with sha256 {earlier}, not the weights shipped "
        f"in the package now ({short}...). Its numbers describe those weights."
    )


def _render_markdown(text, image_src):
    """HTML of a markdown text: GitHub-style tables, headings one level down, images re-pointed."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = md.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + 1)}"
        if token.type == "table_open":
            token.attrSet("class", "table")
        for child in token.children or []:
            if child.type == "image":
                child.attrSet("src", image_src(child.attrGet("src")))
    body = md.renderer.render(tokens, md.options, {})
    body = body.replace('<table class="table">', '<div class="pst-scrollable-table-container"><table class="table">')
    return body.replace("</table>", "</table></div>")


class ResultsFile(Directive):
    """``.. results-file:: NAME``: the file ``benchmarks/results/NAME``, rendered."""

    required_arguments = 1
    has_content = False

    def run(self):
        env = self.state.document.settings.env
        name = self.arguments[0]
        path = RESULTS / name
        if not path.is_file():
            raise self.error(f"results-file: benchmarks/results/{name} does not exist")
        env.note_dependency(str(path))
        env.note_dependency(str(MANIFEST))
        text = path.read_text(encoding="utf-8")
        depth = env.docname.count("/")
        prefix = "../" * depth + OUT_DIR + "/"

        def image_src(src):
            if not src or re.match(r"[a-z]+://", src):
                return src
            return prefix + (Path(name).parent / src).as_posix()

        out = []
        intro = nodes.paragraph()
        intro += nodes.Text("The file ")
        intro += nodes.raw(
            "",
            f'<a class="reference external" href="{html.escape(prefix + name)}">'
            f"<code>benchmarks/results/{html.escape(name)}</code></a>",
            format="html",
        )
        intro += nodes.Text(
            " as committed in the repository, rendered when this documentation was built; the "
            "command that wrote it is at its top."
        )
        out.append(intro)
        note = weights_note(text)
        if note:
            box = nodes.important() if note.startswith("Earlier") else nodes.note()
            box += nodes.paragraph(text=note)
            out.append(box)
        if path.suffix == ".md":
            try:
                body = _render_markdown(text, image_src)
            except ImportError:
                block = nodes.literal_block(text, text)
                block["language"] = "markdown"
                out.append(block)
            else:
                out.append(nodes.raw("", f'<div class="causalmix-results">{body}</div>', format="html"))
        else:
            block = nodes.literal_block(text, text)
            block["language"] = "text"
            out.append(block)
        return out


def _linked_files(srcdir):
    """Every results file a page of ``benchmarks/`` shows, and the figures those files show."""
    files = set()
    for page in (Path(srcdir) / "benchmarks").glob("*.rst"):
        for name in re.findall(r"^\.\. results-file:: (\S+)", page.read_text(encoding="utf-8"), flags=re.M):
            files.add(name)
            path = RESULTS / name
            if path.suffix == ".md" and path.is_file():
                for src in re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", path.read_text(encoding="utf-8")):
                    if not re.match(r"[a-z]+://", src):
                        files.add((Path(name).parent / src).as_posix())
    return files


def _copy_files(app, exception):
    """Copy the results files the pages link or show into ``_results/`` of the built site."""
    if exception is not None or app.builder.format != "html":
        return
    for relative in sorted(_linked_files(app.srcdir)):
        source = RESULTS / relative
        if source.is_file():
            target = Path(app.outdir) / OUT_DIR / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


def setup(app):
    app.add_directive("results-file", ResultsFile)
    app.connect("build-finished", _copy_files)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
