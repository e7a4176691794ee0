"""Optimizers (filled in next)."""
