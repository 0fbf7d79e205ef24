"""Where the package finds its files: paths, YAML config files, model files checked by sha256."""
