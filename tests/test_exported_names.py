"""The public surface is exactly ``syncengine.__all__``, and every name in it resolves to its definition."""

from __future__ import annotations

import importlib
import subprocess
import sys

import syncengine


def test_all_is_sorted_and_unique() -> None:
    assert syncengine.__all__ == sorted(set(syncengine.__all__), key=lambda n: (n[0].islower(), n))


def test_every_exported_name_resolves_to_the_object_it_names() -> None:
    for name in syncengine.__all__:
        value = getattr(syncengine, name)
        module = importlib.import_module(syncengine._WHERE[name])
        assert value is getattr(module, name), name
        assert getattr(value, "__name__", name) == name


def test_index_and_all_agree() -> None:
    assert set(syncengine._WHERE) == set(syncengine.__all__)


def test_star_import_gives_exactly_all() -> None:
    namespace: dict[str, object] = {}
    exec("from syncengine import *", namespace)
    assert sorted(k for k in namespace if k != "__builtins__") == sorted(syncengine.__all__)


def test_importing_the_package_does_not_load_the_reconciler() -> None:
    code = "import sys, syncengine; print('syncengine.reconcile.planner' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
