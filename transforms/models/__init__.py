"""Shipped model artefacts (see README.md); a package so that its .npz files are installed with the wheel."""
