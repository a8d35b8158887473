"""rag: cited answers and summaries over your own documents, offline by default."""

__version__ = "0.1.0"
