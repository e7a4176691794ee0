"""Neural-network layers (filled in next)."""
