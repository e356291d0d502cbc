"""kg.sources: what the targets of a command name on disk (input_files, policy_files)."""
from __future__ import annotations

import pytest

from kg.errors import CardError, InputNotFoundError
from kg.load import find_cards
from kg.sources import input_files, policy_files, split_targets


def _tree(root, *names):
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x\n", encoding="utf-8")


def test_a_folder_gives_its_cards_then_its_rdf_files_each_sorted_and_no_snapshot(tmp_path):
    _tree(tmp_path, "b/2024.yaml", "a/2023.yaml", "a/2022.yml", "c/graph.TTL", "a/graph.nq", "a/notes.txt",
          "a/sources/2023.html", "a/sources/2023.ttl", "a/sub/sources/deep/x.yaml")
    expected = [tmp_path / "a/2023.yaml", tmp_path / "b/2024.yaml", tmp_path / "a/2022.yml",
                tmp_path / "a/graph.nq", tmp_path / "c/graph.TTL"]
    assert policy_files(tmp_path) == expected
    assert input_files([tmp_path]) == expected
    assert find_cards(tmp_path) == expected[:3]


def test_a_folder_under_a_folder_named_sources_is_still_read(tmp_path):
    """Only the `sources/` folders inside the folder given hold snapshots; the folder's own path may say anything."""
    root = tmp_path / "sources" / "policies"
    _tree(root, "acme/2024.yaml")
    assert input_files([root]) == [root / "acme/2024.yaml"]


def test_each_input_once_in_the_order_given(tmp_path):
    _tree(tmp_path, "p/2024.yaml", "q/2024.yaml")
    card = tmp_path / "q/2024.yaml"
    same = tmp_path / "p" / ".." / "q" / "2024.yaml"   # another spelling of the same file
    assert input_files([card, tmp_path, same]) == [card, tmp_path / "p/2024.yaml"]


def test_a_missing_path_and_an_empty_folder_are_errors(tmp_path):
    with pytest.raises(InputNotFoundError) as missing:
        input_files([tmp_path / "nowhere"])
    assert missing.value.id == "file-not-found"
    _tree(tmp_path, "empty/sources/2024.ttl")
    with pytest.raises(CardError) as empty:
        input_files([tmp_path / "empty"])
    assert empty.value.id == "no-policy"


def test_split_targets_tells_files_from_store_selectors(tmp_path):
    _tree(tmp_path, "p/2024.yaml")
    folder = str(tmp_path / "p")
    assert split_targets([folder, "acme", "gone.yaml", "acme@2024-01-01"]) == (
        [folder, "gone.yaml"], ["acme", "acme@2024-01-01"])
