"""The version of skgalvae (single source, read by pyproject.toml)."""

__version__ = "0.1.0.dev0"
