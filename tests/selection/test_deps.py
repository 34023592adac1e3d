import sys

import pytest

from lamina.selection import _deps


def test_a_missing_optional_package_names_the_extra_to_install():
    with pytest.raises(ImportError, match='pip install "lamina\\[tune\\]"') as info:
        _deps._require("no_such_package_for_lamina.sub", "hyperparameter search")
    assert "needs the no_such_package_for_lamina package" in str(info.value)


def test_importing_lamina_selection_imports_no_optional_package():
    import subprocess

    code = (
        "import sys, lamina; before = set(sys.modules); import lamina.selection; "
        "new = {m.split('.')[0] for m in set(sys.modules) - before}; "
        "print(bool(new & {'optuna', 'sklearn', 'matplotlib'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
