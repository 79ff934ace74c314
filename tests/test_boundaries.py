"""Architecture rules that a reviewer would otherwise have to catch: the crypto boundary, no request logging."""

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
