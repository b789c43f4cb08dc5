"""Data files of the product (templates, prompts, catalogues, rules, presets); read through ``core.assets``."""
