"""npm.py: npm packages fetched once and verified on every use: an intact file is not
fetched again, a touched one with the same bytes is still intact, a changed one is."""

import os
from pathlib import Path

import pytest

from site_builder import npm


def verified_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "pkg"
    folder.mkdir()
    (folder / "a.js").write_text("export const a = 1;\n")
    (folder / "b.wasm").write_bytes(b"\0asm\1\0\0\0")
    manifest = npm._Manifest(folder)
    for name in ("a.js", "b.wasm"):
        manifest.record(folder / name)
    manifest.save()
    return folder


def ensure(folder: Path) -> Path:
    return npm.ensure_npm_files(
        folder, "some-package", "1.0.0", "sha512-x", ("a.js", "dist/b.wasm")
    )


def test_intact_files_are_used_without_npm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = verified_folder(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))  # npm would not be found
    assert ensure(folder) == folder
    os.utime(folder / "a.js", ns=(1, 1))  # touched, same bytes: hashed again, still intact
    assert ensure(folder) == folder


def test_a_changed_or_missing_file_is_fetched_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    folder = verified_folder(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    (folder / "b.wasm").write_bytes(b"\0asm\1\0\0\1")
    with pytest.raises(npm.FetchFailed, match="npm is needed once to fetch some-package"):
        ensure(folder)
    (folder / "b.wasm").unlink()
    with pytest.raises(npm.FetchFailed):
        ensure(folder)


def test_file_sha256_reads_in_chunks(tmp_path: Path):
    big = tmp_path / "big"
    big.write_bytes(b"x" * (3 << 20))
    import hashlib

    assert npm.file_sha256(big) == hashlib.sha256(b"x" * (3 << 20)).hexdigest()
