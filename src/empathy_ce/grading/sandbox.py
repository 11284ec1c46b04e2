"""Limited kernels for autograde: learner code cannot exhaust the grader or shadow the grading code.

nbgrader runs learner code in the grader's own account with no limits. Here nbgrader's Execute preprocessor
gets this kernel manager (`c.Execute.kernel_manager_class`): each learner kernel starts with CPU-time, memory
and file-size limits, and with PYTHONSAFEPATH so that a module planted in the submission folder is never
imported in place of the course's own. nbgrader's per-cell timeout and LimitOutput cover endless cells and
floods of output. The kernel still runs as the grader's user and can reach the network (see README).
"""

from __future__ import annotations

import functools
import os
import resource
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from traitlets import Int

MIB = 1024 * 1024


def apply_limits(cpu_seconds: int, memory_mb: int, file_mb: int) -> None:
    """Run in the kernel's process just before it starts (Popen's preexec_fn)."""
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb * MIB, memory_mb * MIB))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_mb * MIB, file_mb * MIB))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


class LimitedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels run with resource limits and without the working folder on sys.path."""

    cpu_seconds = Int(120, help="CPU time limit of a learner's kernel, in seconds.").tag(config=True)
    memory_mb = Int(3072, help="Address-space limit of a learner's kernel, in MiB.").tag(config=True)
    file_mb = Int(50, help="Largest file a learner's kernel may write, in MiB.").tag(config=True)

    async def _async_pre_start_kernel(self, **kwargs: Any) -> tuple[list[str], dict[str, Any]]:
        kwargs["env"] = {**os.environ, **kwargs.get("env", {}), "PYTHONSAFEPATH": "1"}
        kwargs["preexec_fn"] = functools.partial(apply_limits, self.cpu_seconds, self.memory_mb, self.file_mb)
        return await super()._async_pre_start_kernel(**kwargs)
