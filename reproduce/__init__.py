"""Reproduction package for Jermyn & Shlegeris, "Multi-Component Learning and S-Curves" (2022).

Run `make help` for the pipeline, or `python -m reproduce --help` for the command line.
"""
__version__ = "0.2.0"
