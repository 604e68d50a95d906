"""CLI commands beyond ``analyze``, one module per topic; each registers on :data:`rationalerm.cli.app`.

Importing this package registers them all; ``rationalerm.cli`` does so before running the app.
"""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
