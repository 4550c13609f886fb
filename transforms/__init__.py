"""The pipeline stages, one module per stage, each a plain core wrapped by a composite PTransform.

feeds -> fetch -> extract -> language -> classify -> events -> dedup -> sinks
"""
