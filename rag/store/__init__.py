"""Storage: the SQLite catalogue (records + chunk texts + BM25) and the Chroma vector store."""
