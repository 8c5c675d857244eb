"""The Simplified Chinese catalog is complete: every string of the project is translated."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

PO_PATH = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
SOURCE_DIRS = ["procurement", "catalog", "orders", "payments", "logistics", "templates"]


def test_every_entry_is_translated_and_none_is_fuzzy():
    catalog = polib.pofile(str(PO_PATH))
    untranslated = [entry.msgid for entry in catalog.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalog.fuzzy_entries()]
    assert not untranslated, f"untranslated: {untranslated[:20]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:20]}"


def test_compiled_catalog_matches_the_source_catalog():
    source = {
        (entry.msgctxt, entry.msgid): entry.msgstr or entry.msgstr_plural
        for entry in polib.pofile(str(PO_PATH)).translated_entries()
    }
    compiled = {
        (entry.msgctxt, entry.msgid): entry.msgstr or entry.msgstr_plural
        for entry in polib.mofile(str(PO_PATH.with_suffix(".mo")))
        if entry.msgid
    }
    assert compiled == source, "run `make messages` to recompile the catalog"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs gettext (apt: gettext)")
def test_catalog_holds_every_string_in_the_code(tmp_path):
    """Extract the strings afresh from a copy of the sources and compare the msgids."""
    base = Path(settings.BASE_DIR)
    for name in [*SOURCE_DIRS, "manage.py"]:
        source = base / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / name)
    (tmp_path / "locale").mkdir()
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "zh_Hans",
            "--no-obsolete",
            "--no-location",
            "-v",
            "0",
        ],
        cwd=tmp_path,
        check=True,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "procurement.settings.test",
            "DJANGO_VAR_DIR": str(tmp_path / "var"),
        },
    )
    fresh = polib.pofile(str(tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    committed = {(e.msgctxt, e.msgid) for e in polib.pofile(str(PO_PATH))}
    missing = sorted(e.msgid for e in fresh if (e.msgctxt, e.msgid) not in committed)
    assert not missing, f"strings missing from the catalog (run `make messages`): {missing[:20]}"
