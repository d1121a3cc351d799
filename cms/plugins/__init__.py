"""Plugin machinery: hook specifications and the per-app plugin manager."""
