"""Datasets: the embedded synthetic portfolio, user data loaders, schema and validation."""

from core.data.dataset import Dataset, DatasetRef, frame_fingerprint
from core.data.inference import infer_schema
from core.data.schema import Role, Schema

__all__ = ["Dataset", "DatasetRef", "Role", "Schema", "frame_fingerprint", "infer_schema"]
