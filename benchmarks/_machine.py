"""Describe the machine a benchmark ran on (printed beside every figure)."""

import os
import platform


def machine_summary():
    """One line: CPU model, core count, Python and key library versions, GPU if any."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    parts = [cpu, f"{os.cpu_count()} cores", f"Python {platform.python_version()}"]
    try:
        import torch

        gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
        parts += [f"torch {torch.__version__} ({torch.get_num_threads()} threads)", gpu]
    except ImportError:
        pass
    return ", ".join(parts)
