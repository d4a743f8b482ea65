"""Build hook of the wheel (pyproject.toml, [tool.hatch.build.targets.wheel.hooks.custom]).

The wheel ships the front-end libraries of package.json, copied from node_modules/ by the
force-include of pyproject.toml. A checkout has no node_modules/ until `npm ci` runs (./run and
./test run it): then the build stops here with one sentence saying so, instead of hatchling's
"Forced include not found".
"""

from __future__ import annotations

import os
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class FrontEndLibraries(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        node_modules = os.path.join(self.root, "node_modules") + os.sep
        missing = [
            os.path.relpath(source, self.root)
            for source in self.build_config.force_include
            if source.startswith(node_modules) and not os.path.isdir(source)
        ]
        if missing:
            others = " and others" if len(missing) > 1 else ""
            raise RuntimeError(
                f"The front-end libraries of package.json are missing ({missing[0]}{others}): "
                f"run `npm ci` in {self.root} first, then build or install walkapp again."
            )
