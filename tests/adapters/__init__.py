"""Adapters used by the tests: deliberately broken implementations the checker must reject."""
