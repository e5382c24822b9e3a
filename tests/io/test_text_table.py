import pytest

from kaldinn.errors import TableError
from kaldinn.io.atomic import atomic_write
from kaldinn.io.text_table import c_sorted, is_c_sorted, read_table, write_table


def test_c_order_is_byte_order():
    # LC_ALL=C sorts upper case before lower case and "-" before digits.
    keys = ["b", "B", "a-2", "a_1", "a1", "\u00e9"]
    assert c_sorted(keys) == ["B", "a-2", "a1", "a_1", "b", "\u00e9"]


def test_round_trip_sorts_and_keeps_values(tmp_path):
    path = tmp_path / "text"
    write_table(path, {"u2": "two words", "u1": ["one", "word"]})
    assert path.read_text() == "u1 one word\nu2 two words\n"
    assert read_table(path) == {"u1": "one word", "u2": "two words"}
    assert read_table(path, split=True) == {"u1": ["one", "word"], "u2": ["two", "words"]}


def test_duplicate_key_names_both_lines(tmp_path):
    path = tmp_path / "utt2spk"
    path.write_text("a s1\nb s1\na s2\n")
    with pytest.raises(TableError, match=r"utt2spk:3: duplicate key 'a' \(first on line 1\)"):
        read_table(path)


def test_tabs_and_missing_value(tmp_path):
    path = tmp_path / "t"
    path.write_text("a\tx y\nb\n")
    with pytest.raises(TableError, match="t:2: key 'b' has no value"):
        read_table(path)
    path.write_text("a\tx y\n")
    assert read_table(path) == {"a": "x y"}


def test_carriage_return_is_reported(tmp_path):
    path = tmp_path / "text"
    path.write_bytes(b"a hello\r\n")
    with pytest.raises(TableError, match="carriage return"):
        read_table(path)


def test_missing_file(tmp_path):
    with pytest.raises(TableError, match="no such file"):
        read_table(tmp_path / "nope")


def test_is_c_sorted_points_at_first_bad_key():
    assert is_c_sorted(["a", "b", "c"]) is None
    assert is_c_sorted(["a", "c", "b"]) == 2
    assert is_c_sorted(["a", "a"]) == 1
    assert is_c_sorted(["a", "a"], strict=False) is None


def test_atomic_write_keeps_old_file_on_failure(tmp_path):
    path = tmp_path / "f"
    path.write_text("old\n")
    with pytest.raises(RuntimeError):
        with atomic_write(path) as f:
            f.write("new\n")
            raise RuntimeError("boom")
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["f"]
