"""Datasets, samplers and a DataLoader with torch.utils.data's names, module paths and
semantics, on NumPy: `from graphgrad.utils.data import Dataset, TensorDataset, DataLoader`."""
from graphgrad.utils.data.dataset import (ChainDataset, ConcatDataset, Dataset,  # noqa: F401
                                          IterableDataset, Subset, TensorDataset, random_split)
from graphgrad.utils.data.sampler import (BatchSampler, RandomSampler, Sampler,  # noqa: F401
                                          SequentialSampler, SubsetRandomSampler,
                                          WeightedRandomSampler)
from graphgrad.utils.data.distributed import DistributedSampler  # noqa: F401
from graphgrad.utils.data._utils.collate import default_collate, default_convert  # noqa: F401
from graphgrad.utils.data._utils.worker import WorkerInfo, get_worker_info  # noqa: F401
from graphgrad.utils.data.dataloader import DataLoader  # noqa: F401

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset",
           "ChainDataset", "random_split", "Sampler", "SequentialSampler", "RandomSampler",
           "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler", "DistributedSampler",
           "DataLoader", "default_collate", "default_convert", "get_worker_info", "WorkerInfo"]
