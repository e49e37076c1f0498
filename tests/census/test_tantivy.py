import tantivy


def test_index_and_search():
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("title", stored=True)
    sb.add_integer_field("year", stored=True, indexed=True)
    schema = sb.build()
    index = tantivy.Index(schema)
    w = index.writer(15_000_000, 1)
    w.add_document(tantivy.Document(title="The Old Man and the Sea", year=1952))
    w.add_document(tantivy.Document(title="Of Mice and Men", year=1937))
    w.commit()
    w.wait_merging_threads()
    index.reload()
    searcher = index.searcher()
    hits = searcher.search(index.parse_query("sea", ["title"]), 10).hits
    assert len(hits) == 1
    doc = searcher.doc(hits[0][1])
    assert doc["title"] == ["The Old Man and the Sea"] and doc["year"] == [1952]
    assert searcher.num_docs == 2
