"""Runnable pipelines (batch, streaming), their options and the `conflictwire` command line."""
