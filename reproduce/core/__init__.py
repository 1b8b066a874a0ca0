"""What every model family shares: paths, errors, config loading, the family registry, results files, the
bump rule, intervals and verdicts, and make's derived prerequisites. Nothing here names a family's code
except the registry (families.py), which names it by module path."""
