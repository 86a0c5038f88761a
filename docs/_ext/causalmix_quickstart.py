"""The printed output of the front page's quick start, recorded by running it, shown under its code.

Record (after changing a quick-start block, or when new weights ship)::

    python docs/_ext/causalmix_quickstart.py      # runs the blocks, writes docs/quickstart_outputs.json

The blocks are those ``tests/test_readme.py`` runs (the ``.. code-block:: python`` blocks of the
"Quick start" section of ``docs/index.rst``), run in order in one fresh Python process in a
temporary folder. The JSON file keeps each block's printed output with a hash of the block's code,
the date, the package and torch versions and the sha256 of the shipped weights.

In the documentation, ``.. quickstart-output:: N`` shows the output of block ``N`` (from 1). The
build fails when block ``N`` is no longer the code that printed it (the output would belong to
other code), and the page says so when the weights shipped now are not those of the recording.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INDEX = ROOT / "docs" / "index.rst"
OUTPUTS = ROOT / "docs" / "quickstart_outputs.json"
MANIFEST = ROOT / "sklearn_causalmix" / "backbones" / "embedded" / "weights" / "default.json"
_SEPARATOR = "----- causalmix quick start: end of block -----"


def quick_start_blocks():
    """The python blocks of the "Quick start" section of docs/index.rst (as tests/test_readme.py reads them)."""
    text = INDEX.read_text(encoding="utf-8")
    match = re.search(r"^Quick start\n=+\n(.*?)(?=^\S[^\n]*\n=+\n|\Z)", text, flags=re.M | re.S)
    if not match:
        raise LookupError('docs/index.rst has no "Quick start" section')
    blocks = []
    for block in re.findall(r"^\.\. code-block:: python\n\n((?:    .*\n|\n)+)", match.group(1), flags=re.M):
        lines = [line[4:] for line in block.rstrip("\n").splitlines()]
        blocks.append("\n".join(lines) + "\n")
    return blocks


def code_hash(code):
    return hashlib.sha256(code.encode("utf-8")).hexdigest()[:16]


def shipped_sha256():
    return json.loads(MANIFEST.read_text(encoding="utf-8")).get("sha256", "") if MANIFEST.is_file() else ""


def record():
    """Run the quick start and write :data:`OUTPUTS`."""
    blocks = quick_start_blocks()
    program = "\n".join(
        f"exec(compile({block!r}, 'quick start block {i + 1}', 'exec'))\nprint({_SEPARATOR!r}, flush=True)"
        for i, block in enumerate(blocks)
    )
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    with tempfile.TemporaryDirectory() as folder:
        proc = subprocess.run([sys.executable, "-c", program], cwd=folder, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"the quick start failed:\n{proc.stderr[-4000:]}")
    outputs = proc.stdout.split(_SEPARATOR + "\n")[: len(blocks)]
    import sklearn_causalmix
    import torch

    data = {
        "what": "printed output of the quick start of docs/index.rst, block by block",
        "command": "python docs/_ext/causalmix_quickstart.py",
        "recorded": datetime.date.today().isoformat(),
        "sklearn_causalmix": sklearn_causalmix.__version__,
        "torch": torch.__version__,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, no GPU used" if not torch.cuda.is_available() else platform.machine(),
        "weights_sha256": shipped_sha256(),
        "blocks": [{"code_sha256": code_hash(code), "output": out} for code, out in zip(blocks, outputs)],
    }
    OUTPUTS.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUTPUTS.relative_to(ROOT)}")


# ------------------------------------------------------------------------------------ Sphinx
def setup(app):
    from docutils import nodes
    from docutils.parsers.rst import Directive

    class QuickstartOutput(Directive):
        """``.. quickstart-output:: N``: the recorded output of quick-start block N."""

        required_arguments = 1

        def run(self):
            env = self.state.document.settings.env
            env.note_dependency(str(OUTPUTS))
            env.note_dependency(str(MANIFEST))
            number = int(self.arguments[0])
            if not OUTPUTS.is_file():
                raise self.error("quickstart-output: docs/quickstart_outputs.json is missing; run python docs/_ext/causalmix_quickstart.py")
            data = json.loads(OUTPUTS.read_text(encoding="utf-8"))
            blocks = quick_start_blocks()
            if number > len(data["blocks"]) or number > len(blocks):
                raise self.error(f"quickstart-output: no recorded output of block {number}")
            entry = data["blocks"][number - 1]
            if entry["code_sha256"] != code_hash(blocks[number - 1]):
                raise self.error(
                    f"quickstart-output: block {number} of the quick start changed since its output was recorded; "
                    "rerun python docs/_ext/causalmix_quickstart.py"
                )
            caption = (
                f"Output, recorded {data['recorded']} with sklearn-causalmix {data['sklearn_causalmix']} "
                f"on {data['machine']}"
            )
            if data.get("weights_sha256") != shipped_sha256():
                caption += ", with earlier weights than those shipped now"
            text = entry["output"].rstrip("\n") or "(prints nothing)"
            block = nodes.literal_block(text, text)
            block["language"] = "text"
            container = nodes.container("", literal_block=True, classes=["literal-block-wrapper", "quickstart-output"])
            container += nodes.caption(caption, caption)
            container += block
            return [container]

    app.add_directive("quickstart-output", QuickstartOutput)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    record()
