"""Devices and the process-wide model registry."""

from core.runtime.device import DeviceInfo, fallback_to_cpu, resolve_device
from core.runtime.registry import ModelRegistry, get_registry

__all__ = ["DeviceInfo", "ModelRegistry", "fallback_to_cpu", "get_registry", "resolve_device"]
