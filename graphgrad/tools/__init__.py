"""Command-line tools and the models they share: `python -m graphgrad bench | demo | dump`."""
