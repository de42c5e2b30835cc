"""bench: measure what a Dockerfile strategy costs in BuildKit build time and image size."""

__all__ = ["__version__"]
__version__ = "0.1.0"
