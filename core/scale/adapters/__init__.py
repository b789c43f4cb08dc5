"""Thin adapters from batch jobs to each area's public objects: only these modules know the areas' names.

When an area's API moves, its adapter changes and no job does.
"""
