"""The DataLoader's machinery: collation, fetching, worker processes (torch's _utils)."""
from graphgrad.utils.data._utils import collate, fetch, worker  # noqa: F401
