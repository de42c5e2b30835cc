"""Does the image work? Import every top-level module of the requirement set inside the final image.

The script runs in the image with ``python -c`` (no network) and prints JSON; everything here but the
running is pure. A distribution's modules come from its ``top_level.txt``, else from its installed files.
"""

from __future__ import annotations

import json
import re
from typing import Any

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")

SCRIPT = r"""
import importlib, importlib.metadata as md, json, sys
out = {}
for name in sys.argv[1:]:
    try:
        dist = md.distribution(name)
        top = (dist.read_text("top_level.txt") or "").split()
        if not top:
            top = sorted({f.parts[0].removesuffix(".py") for f in (dist.files or [])
                          if f.parts and not f.parts[0].endswith((".dist-info", ".data", ".pth"))
                          and f.parts[0] not in ("__pycache__", "..") and (len(f.parts) > 1 or f.suffix == ".py")})
        top = [m for m in top if m.isidentifier() and not m.startswith("_")]  # not numpy.libs/ (vendored libs)
        for module in top:
            importlib.import_module(module)
        out[name] = {"ok": True, "modules": top}
    except Exception as exc:
        out[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
print("BENCH-IMPORTS " + json.dumps(out, sort_keys=True))
"""


def requirement_names(requirements: str) -> list[str]:
    """The distribution names a requirements file asks for (options, comments and pins dropped)."""
    names = []
    for line in requirements.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        m = _NAME.match(line)
        if m:
            names.append(m.group(1))
    return list(dict.fromkeys(names))


def command(names: list[str]) -> list[str]:
    return ["python", "-c", SCRIPT, *names]


def parse(output: str) -> dict[str, Any]:
    """The check's result: ``ok`` when every distribution imported, and what each one did."""
    for line in reversed(output.splitlines()):
        if line.startswith("BENCH-IMPORTS "):
            results = json.loads(line.removeprefix("BENCH-IMPORTS "))
            return {"ok": all(r["ok"] for r in results.values()), "results": results}
    return {"ok": False, "results": {}, "error": output.strip()[-300:] or "the check printed nothing"}
