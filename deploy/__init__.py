"""What Dataflow needs to run conflictwire: flex-template container, metadata, pinned requirements, schedule."""
