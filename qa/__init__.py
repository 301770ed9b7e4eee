"""qa: offline question answering over a folder of articles, with line-exact citations."""

__version__ = "0.1.0"
