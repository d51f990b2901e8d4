import os
import pytest


def test_cleanup_tolerates_missing(tmp_path):
    target = tmp_path / "x"
    try:
        os.remove(target)
    except:
        pass
    assert not target.exists()


def test_env():
    assert os.getenv("CI") is not None or True
