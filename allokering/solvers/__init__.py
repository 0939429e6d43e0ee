"""Allocation solvers."""
