"""`pip install ./clients/python` works offline (no index: the in-tree build backend needs
nothing but the standard library) and gives a typed package that imports without httpx."""

import os
import subprocess
import sys
import zipfile

import pytest

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pip_available():
    return subprocess.run([sys.executable, "-m", "pip", "--version"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


@pytest.mark.skipif(not pip_available() and not os.environ.get("INFLIGHT_REQUIRE_PIP"),
                    reason="this Python has no pip (Debian: python3-pip)")
def test_pip_installs_the_package_offline_into_a_target(tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-index", "--no-cache-dir",
                    "--disable-pip-version-check", "--target", str(target), HERE],
                   check=True, stdout=subprocess.DEVNULL, env={**os.environ, "PIP_NO_INPUT": "1"})
    assert (target / "inflight" / "py.typed").exists(), "typed (PEP 561)"
    (info,) = [p for p in target.iterdir() if p.name.endswith(".dist-info")]
    metadata = (info / "METADATA").read_text()
    assert "Requires-Python: >=3.9" in metadata
    assert 'Requires-Dist: httpx>=0.23; extra == "httpx"' in metadata, "httpx is an extra, not a dependency"
    code = ("import sys; sys.modules['httpx'] = None; import inflight; "
            "print(inflight.__file__, inflight.__version__)")
    out = subprocess.run([sys.executable, "-c", code], cwd=str(tmp_path), check=True, stdout=subprocess.PIPE,
                         env={**os.environ, "PYTHONPATH": str(target)}).stdout.decode()
    assert out.startswith(str(target / "inflight" / "__init__.py"))


def test_the_wheel_holds_every_module_of_the_package(tmp_path):
    sys.path.insert(0, os.path.join(HERE, "_build"))
    try:
        import backend
    finally:
        sys.path.pop(0)
    name = backend.build_wheel(str(tmp_path))
    with zipfile.ZipFile(tmp_path / name) as z:
        names = set(z.namelist())
    modules = {f"inflight/{n}" for n in os.listdir(os.path.join(HERE, "inflight"))
               if n.endswith(".py") or n == "py.typed"}
    assert modules <= names
    assert "inflight-0.1.0.dist-info/RECORD" in names
