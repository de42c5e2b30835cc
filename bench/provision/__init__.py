"""Setting up what builds need: an engine with a BuildKit client, base images, a local package index."""
