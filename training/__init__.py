"""Scripts that rebuild the shipped model artefacts from the corpora in ../shared/data (dev-time only)."""
