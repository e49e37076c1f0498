import os

import rignore


def test_walk_honours_ignore_files(tmp_path):
    (tmp_path / ".ignore").write_text("*.log\nbuild/\n")
    (tmp_path / "keep.py").write_text("")
    (tmp_path / "drop.log").write_text("")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "x.py").write_text("")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("")
    found = {os.path.relpath(p, tmp_path) for p in rignore.walk(str(tmp_path)) if os.path.isfile(p)}
    assert "keep.py" in found and os.path.join("src", "a.py") in found
    assert "drop.log" not in found and os.path.join("build", "x.py") not in found
