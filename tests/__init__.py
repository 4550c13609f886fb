"""conflictwire tests (a package so fixtures can be imported as tests.conftest)."""
