from qa.settings import Settings


def test_each_folder_gets_its_index_beside_the_default_one_whichever_came_first(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    base = Settings(docs=tmp_path, index_dir=tmp_path / "index")
    direct = base.for_docs(b)
    via_a = base.for_docs(a).for_docs(b)  # `qa eval --all` opens the first set's folder first
    assert direct.index_dir == via_a.index_dir
    assert direct.index_dir.parent == tmp_path / "index" / "corpora"
