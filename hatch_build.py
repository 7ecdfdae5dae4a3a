"""Compile the gettext catalogs into the wheel, so installs need no build step at run time."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CompileCatalogs(BuildHookInterface):  # type: ignore[misc]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        root = Path(self.root)
        # Compiled catalogs go to a scratch folder: a .mo left in the source tree could
        # shadow later edits of the .po in an editable install.
        out_dir = Path(tempfile.mkdtemp(prefix="linkdir-mo-"))
        for po_path in sorted((root / "src/linkdir/locale").glob("*/LC_MESSAGES/messages.po")):
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file)
            relative = po_path.with_suffix(".mo").relative_to(root / "src")
            mo_path = out_dir / relative
            mo_path.parent.mkdir(parents=True, exist_ok=True)
            with mo_path.open("wb") as mo_file:
                write_mo(mo_file, catalog)
            build_data["force_include"][str(mo_path)] = str(relative)
