"""A PEP 517 build backend of standard library only, for this one package: it builds a wheel of
`inflight/` (with py.typed) and an sdist. Its metadata (name, version, Python, the httpx extra)
is read from pyproject.toml's [project] table, so that table stays the one place it is said."""

import base64
import hashlib
import io
import os
import re
import tarfile
import zipfile
from typing import Any, Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "inflight"


def _project() -> Dict[str, Any]:
    """The few [project] keys this package uses, read without tomllib (3.11+ only)."""
    text = open(os.path.join(HERE, "pyproject.toml"), encoding="utf-8").read()
    section = text.split("[project]", 1)[1].split("\n[", 1)[0]
    strings = dict(re.findall(r'^([a-z-]+)\s*=\s*"([^"]*)"', section, re.M))
    extras = {}
    block = text.split("[project.optional-dependencies]", 1)
    if len(block) == 2:
        for name, items in re.findall(r"^([a-z0-9-]+)\s*=\s*\[([^\]]*)\]", block[1].split("\n[", 1)[0], re.M):
            extras[name] = re.findall(r'"([^"]+)"', items)
    return {"name": strings["name"], "version": strings["version"], "summary": strings["description"],
            "python": strings["requires-python"], "extras": extras}


def _metadata() -> str:
    p = _project()
    lines = ["Metadata-Version: 2.1", f"Name: {p['name']}", f"Version: {p['version']}",
             f"Summary: {p['summary']}", f"Requires-Python: {p['python']}"]
    for extra, requirements in p["extras"].items():
        lines.append(f"Provides-Extra: {extra}")
        lines += [f'Requires-Dist: {r}; extra == "{extra}"' for r in requirements]
    lines.append("Description-Content-Type: text/markdown")
    readme = open(os.path.join(HERE, "README.md"), encoding="utf-8").read()
    return "\n".join(lines) + "\n\n" + readme


def _sources() -> List[Tuple[str, str]]:
    out = []
    for name in sorted(os.listdir(os.path.join(HERE, PACKAGE))):
        if name.endswith(".py") or name == "py.typed":
            out.append((f"{PACKAGE}/{name}", os.path.join(HERE, PACKAGE, name)))
    return out


def _dist_info() -> str:
    p = _project()
    return f"{p['name']}-{p['version']}.dist-info"


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
    return f"{name},sha256={digest},{len(data)}"


def get_requires_for_build_wheel(config_settings: Optional[Dict[str, Any]] = None) -> List[str]:
    return []


def get_requires_for_build_sdist(config_settings: Optional[Dict[str, Any]] = None) -> List[str]:
    return []


def prepare_metadata_for_build_wheel(metadata_directory: str,
                                     config_settings: Optional[Dict[str, Any]] = None) -> str:
    target = os.path.join(metadata_directory, _dist_info())
    os.makedirs(target, exist_ok=True)
    with open(os.path.join(target, "METADATA"), "w", encoding="utf-8") as f:
        f.write(_metadata())
    return _dist_info()


def build_wheel(wheel_directory: str, config_settings: Optional[Dict[str, Any]] = None,
                metadata_directory: Optional[str] = None) -> str:
    p = _project()
    name = f"{p['name']}-{p['version']}-py3-none-any.whl"
    info = _dist_info()
    files = [(arc, open(path, "rb").read()) for arc, path in _sources()]
    files.append((f"{info}/METADATA", _metadata().encode("utf-8")))
    files.append((f"{info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: inflight-backend\n"
                                   b"Root-Is-Purelib: true\nTag: py3-none-any\n"))
    record = [_record_line(arc, data) for arc, data in files] + [f"{info}/RECORD,,"]
    files.append((f"{info}/RECORD", ("\n".join(record) + "\n").encode("utf-8")))
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w", zipfile.ZIP_DEFLATED) as z:
        for arc, data in files:
            z.writestr(zipfile.ZipInfo(arc, date_time=(2026, 1, 1, 0, 0, 0)), data,
                       compress_type=zipfile.ZIP_DEFLATED)
    return name


def build_sdist(sdist_directory: str, config_settings: Optional[Dict[str, Any]] = None) -> str:
    p = _project()
    base = f"{p['name']}-{p['version']}"
    members = _sources() + [(n, os.path.join(HERE, n)) for n in ("pyproject.toml", "README.md")]
    members.append(("_build/backend.py", os.path.abspath(__file__)))
    with tarfile.open(os.path.join(sdist_directory, base + ".tar.gz"), "w:gz") as tar:
        for arc, path in members:
            tar.add(path, arcname=f"{base}/{arc}")
        data = _metadata().encode("utf-8")
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return base + ".tar.gz"
