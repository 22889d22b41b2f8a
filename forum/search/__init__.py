"""Full-text search over thread titles and the public text of posts.

tokenizer  text -> tokens (CJK bigrams, other words), queries -> phrases
documents  one post -> the tokens the index keeps (public text only)
backends   SQLite FTS5 and PostgreSQL GIN engines, same tokens, same answers
index      writes, called inside the services' transactions; `reindex` rebuilds
query      a search form's values -> one page of ranked, permission-checked hits
snippets   highlighted excerpts of the public text
views      /search/

See docs/search.md for the design and the measurements.
"""
