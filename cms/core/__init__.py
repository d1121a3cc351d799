"""Pieces every area shares. Imports nothing from the areas (content, auth, ...)."""
