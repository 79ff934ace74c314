"""Architecture rules that a reviewer would otherwise have to catch: the crypto boundary, the layers and no
import cycles, tests that travel in time relative to now."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRYPTO_LIBRARIES = {"nacl", "cryptography", "webauthn", "Crypto", "hashlib_argon2", "argon2"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_only_the_vault_imports_crypto_libraries() -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {sorted(_imports(path) & CRYPTO_LIBRARIES)}"
        for path in (ROOT / "ferry").rglob("*.py")
        if "vault" not in path.relative_to(ROOT / "ferry").parts[:1] and _imports(path) & CRYPTO_LIBRARIES
    ]
    assert offenders == []


def test_the_scan_sees_an_import() -> None:
    assert "nacl" in _imports(ROOT / "ferry" / "vault" / "crypto.py")


# --- layers -------------------------------------------------------------------------------------------

# From the bottom: an app imports only from apps below it (the audit log signs its head through the vault).
# The project package (settings, urls, launch) sits above all.
LAYERS = {
    "vault": 0,
    "audit": 1,
    "core": 2,
    "accounts": 3,
    "intake": 4,
    "cases": 5,
    "incidents": 6,
    "advocacy": 7,
    "api": 8,
}


def _ferry_imports(path: Path) -> set[str]:
    """Every ferry module this file imports, anywhere in it (a function body counts too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("ferry.")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module.startswith("ferry"):
            if node.module == "ferry":
                found |= {f"ferry.{a.name}" for a in node.names}
            else:
                found.add(node.module)
                found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def _app_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def layer_violations(files: dict[str, set[str]]) -> list[str]:
    """`files` maps a module's app to what it imports; returns "app -> other" for each upward import."""
    found = []
    for where, imported in sorted(files.items()):
        app = _app_of(where)
        if app is None:
            continue
        for module in sorted(imported):
            other = _app_of(module)
            if other is None or other == app:
                continue
            if LAYERS[other] >= LAYERS[app]:
                found.append(f"{where} imports {module} ({app} may not import {other})")
    return found


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _ferry_files() -> dict[str, set[str]]:
    return {
        _module_name(path): _ferry_imports(path)
        for path in (ROOT / "ferry").rglob("*.py")
        if "migrations" not in path.parts
    }


def test_apps_import_only_from_the_layers_below() -> None:
    assert layer_violations(_ferry_files()) == []


def test_the_layer_rule_sees_an_upward_import() -> None:
    files = {"ferry.intake.triage": {"ferry.cases.services"}, "ferry.cases.views": {"ferry.intake.triage"}}
    assert layer_violations(files) == ["ferry.intake.triage imports ferry.cases.services (intake may not import cases)"]


def import_cycles(files: dict[str, set[str]]) -> list[list[str]]:
    """Cycles among ferry's modules through their imports, wherever in a module they are: an import moved into a
    function body to dodge a cycle is still a cycle."""
    modules = set(files)
    graph = {m: sorted(i for i in imported if i in modules and i != m) for m, imported in files.items()}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    return cycles


def test_no_import_cycles_between_modules() -> None:
    assert import_cycles(_ferry_files()) == []


def test_the_cycle_finder_sees_a_cycle() -> None:
    files = {"ferry.a": {"ferry.b"}, "ferry.b": {"ferry.c"}, "ferry.c": {"ferry.a"}, "ferry.d": set()}
    assert import_cycles(files) == [["ferry.a", "ferry.b", "ferry.c", "ferry.a"]]


# --- tests travel relative to now -----------------------------------------------------------------------


def fixed_day_travels(source: str) -> list[int]:
    """Lines where a test travels in time to a literal date (a datetime of a fixed year), which will one day be
    past."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "travel"):
            continue
        for inner in ast.walk(node):
            if (
                isinstance(inner, ast.Call)
                and getattr(inner.func, "id", getattr(inner.func, "attr", "")) in ("datetime", "date")
                and inner.args
                and isinstance(inner.args[0], ast.Constant)
            ):
                lines.append(node.lineno)
    return lines


def test_tests_travel_relative_to_now() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in (ROOT / "tests").rglob("*.py")
        for line in fixed_day_travels(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_travel_rule_sees_a_fixed_day() -> None:
    fixed_day = "datetime(" + "2026, 12, 3, tzinfo=UTC)"
    assert fixed_day_travels(f"with time_machine.travel({fixed_day}):\n    pass\n") == [1]
    assert fixed_day_travels("with time_machine.travel(datetime.now(UTC) + HOUR):\n    pass\n") == []
