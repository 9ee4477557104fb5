"""Benchmarks that print numbers (not tests); see bench/README.md."""
