"""The package stays Python 3.9 code: its grammar (no `match`, no parenthesized context
managers) and no `X | Y` unions in annotations, which 3.9 evaluates at import and refuses.
(Checked by hand too: the package and its transports ran under CPython 3.9.18.)"""

import ast
import os

import pytest

PACKAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "inflight")
MODULES = sorted(n for n in os.listdir(PACKAGE) if n.endswith(".py"))


def annotations(tree):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            for a in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
                if a is not None and a.annotation is not None:
                    yield a.annotation
            if node.returns is not None:
                yield node.returns
        elif isinstance(node, ast.AnnAssign):
            yield node.annotation


@pytest.mark.parametrize("module", MODULES)
def test_the_module_is_python_3_9_code(module):
    source = open(os.path.join(PACKAGE, module), encoding="utf-8").read()
    tree = ast.parse(source, filename=module, feature_version=(3, 9))
    unions = [ast.unparse(a) for a in annotations(tree)
              if any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.BitOr) for n in ast.walk(a))]
    assert unions == [], f"{module}: X | Y annotations fail at import on Python 3.9"
