"""kgqa: knowledge-grounded question answering for medicine and science."""
__version__ = "0.1.0"
