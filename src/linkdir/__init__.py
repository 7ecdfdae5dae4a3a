"""linkdir: a curated resource-link directory with a link-checking service."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("linkdir")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
