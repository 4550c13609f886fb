"""The per-language data reader: files, comments, tables, and a language with no folder."""

from transforms.lexicon import Lexicon


def test_reads_words_lines_and_tables(tmp_path):
    folder = tmp_path / "xx"
    folder.mkdir()
    (folder / "gate.txt").write_text(
        "# words that let an article through\nKilled\nshelling  # a comment\n\n", encoding="utf-8"
    )
    (folder / "numbers.tsv").write_text("# word\tvalue\ndeux\t2\ntrois\t3\n", encoding="utf-8")
    lexicon = Lexicon.for_language("xx-YY", data_dir=tmp_path)
    assert lexicon.code == "xx"
    assert lexicon.words("gate") == {"killed", "shelling"}
    assert lexicon.lines("gate") == ("Killed", "shelling")
    assert lexicon.table("numbers") == (("deux", "2"), ("trois", "3"))
    assert lexicon.has("numbers") and not lexicon.has("months")
    assert Lexicon.languages(tmp_path) == ("xx",)
    assert Lexicon.for_language("xx", data_dir=tmp_path) is lexicon


def test_a_language_without_a_folder_has_empty_lists(tmp_path):
    lexicon = Lexicon.for_language("zz", data_dir=tmp_path)
    assert not lexicon.exists
    assert lexicon.words("gate") == frozenset()
    assert lexicon.table("numbers") == ()
