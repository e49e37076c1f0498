import pytest

import hf_transfer


def test_download_error_is_a_python_exception(tmp_path):
    # Nothing listens on port 9: the Rust side must raise, not crash.
    with pytest.raises(Exception):
        hf_transfer.download(
            url="http://127.0.0.1:9/none", filename=str(tmp_path / "f"), max_files=1, chunk_size=1024, max_retries=0
        )
    assert callable(hf_transfer.multipart_upload)
