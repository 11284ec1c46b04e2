"""Sandboxed kernels for autograde: learner code cannot exhaust the grader, reach the network, or read keys.

nbgrader runs learner code in the grader's own account, with the grader's files, network and environment. Here
nbgrader's Execute preprocessor gets this kernel manager (``c.Execute.kernel_manager_class``):

- every learner kernel starts with CPU-time, memory and file-size limits, and with PYTHONSAFEPATH so that a
  module planted in the submission folder is never imported in place of the course's own;
- at autograde (nbgrader sets ``NBGRADER_EXECUTION=autograde``) the kernel also runs inside bubblewrap
  (``bwrap``, the sandbox Flatpak uses): its own network namespace (no network at all), process namespace (no
  view of the grader's processes or their environment), and a file system holding only the system folders,
  the Python installation, the course package, and the learner's own submission folder, read-only. The answer
  keys (``solutions/``, other learners' folders), the gradebook and the rest of the course are not there. Its
  environment is rebuilt from a short allow-list, so database URLs and passwords never reach it. The kernel
  talks to nbgrader over Unix sockets in a folder of its own, and is interrupted by message (a signal would
  stop bubblewrap, not the cell).

nbgrader's per-cell timeout and LimitOutput cover endless cells and floods of output. Where bubblewrap cannot
run, autograde refuses to start a kernel and says how to fix it; ``c.LimitedKernelManager.isolation = "none"``
grades with the limits alone.
"""

from __future__ import annotations

import functools
import json
import os
import resource
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from traitlets import Enum, Int, List, Unicode

MIB = 1024 * 1024
# Kept from the grader's environment (by name or prefix); everything else is dropped.
KEEP_ENV = ("PATH", "LANG", "LANGUAGE", "TZ", "TERM", "PYTHONPATH", "PYTHONHASHSEED", "PYTHONIOENCODING",
            "MPLBACKEND", "PYDEVD_DISABLE_FILE_VALIDATION", "VIRTUAL_ENV")
KEEP_PREFIXES = ("LC_", "NBGRADER_", "JPY_")
SANDBOX_TMP = "/tmp"


def apply_limits(cpu_seconds: int, memory_mb: int, file_mb: int) -> None:
    """Run in the kernel's process just before it starts (Popen's preexec_fn)."""
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb * MIB, memory_mb * MIB))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_mb * MIB, file_mb * MIB))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here."""


@functools.cache
def bwrap_problem(bwrap: str) -> str | None:
    """None if bubblewrap can make a sandbox without network here, else why not."""
    path = shutil.which(bwrap)
    if path is None:
        return f"'{bwrap}' was not found"
    probe = [path, "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "true"]
    try:
        result = subprocess.run(probe, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"{path} could not run: {err}"
    if result.returncode != 0:
        return f"{path} cannot create namespaces here: {result.stderr.strip() or result.returncode}"
    return None


@functools.cache
def python_folders(executable: str, pythonpath: str) -> tuple[str, ...]:
    """The folders a kernel started with this Python needs to read: its installation, sys.path and the course."""
    code = ("import importlib.util, json, sys\n"
            "spec = importlib.util.find_spec('empathy_ce')\n"
            "found = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, *sys.path]\n"
            "found += list(spec.submodule_search_locations or []) if spec else []\n"
            "print(json.dumps(found))")
    env = {"PATH": os.environ.get("PATH", ""), **({"PYTHONPATH": pythonpath} if pythonpath else {})}
    result = subprocess.run([executable, "-c", code], capture_output=True, text=True, env=env, timeout=60,
                            check=True)
    folders = {os.path.realpath(p) for p in json.loads(result.stdout) if p}
    folders.add(os.path.dirname(os.path.realpath(executable)))
    return tuple(sorted(p for p in folders if os.path.exists(p)))


def _root_entries(readable: tuple[str, ...]) -> list[str]:
    """bwrap arguments for the system folders, keeping /bin, /lib... symlinks as the host has them."""
    args = []
    for name in readable:
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    return args


class LimitedKernelManager(AsyncKernelManager):
    """A kernel manager whose learner kernels run with resource limits and, at autograde, in a sandbox."""

    cpu_seconds = Int(120, help="CPU time limit of a learner's kernel, in seconds.").tag(config=True)
    memory_mb = Int(3072, help="Address-space limit of a learner's kernel, in MiB.").tag(config=True)
    file_mb = Int(50, help="Largest file a learner's kernel may write, in MiB.").tag(config=True)
    isolation = Enum(["bwrap", "none"], "bwrap", help=(
        "How autograde isolates learner kernels: 'bwrap' (bubblewrap: no network, no access to keys, "
        "gradebook or other learners' files) or 'none' (resource limits only).")).tag(config=True)
    bwrap = Unicode("bwrap", help="The bubblewrap executable.").tag(config=True)
    system_folders = List(Unicode(), ["usr", "bin", "sbin", "lib", "lib32", "lib64", "etc"], help=(
        "Top-level folders learner kernels may read (read-only), besides Python and the course package."
    )).tag(config=True)
    _sandbox_folders = List(Unicode())  # this kernel's socket folders, removed at clean-up

    def _isolating(self) -> bool:
        return self.isolation == "bwrap" and os.environ.get("NBGRADER_EXECUTION") == "autograde"

    async def _async_pre_start_kernel(self, **kwargs: Any) -> tuple[list[str], dict[str, Any]]:
        env = {**os.environ, **(kwargs.get("env") or {}), "PYTHONSAFEPATH": "1"}
        kwargs["preexec_fn"] = functools.partial(apply_limits, self.cpu_seconds, self.memory_mb, self.file_mb)
        if self._isolating():
            problem = bwrap_problem(self.bwrap)
            if problem:
                raise SandboxUnavailable(
                    f"autograde runs learner code only in a sandbox, and bubblewrap is not usable: {problem}. "
                    "Install it (Debian/Ubuntu: apt install bubblewrap), or, to grade without network and file "
                    "isolation, set c.LimitedKernelManager.isolation = 'none' in nbgrader_config.py")
            folder = tempfile.mkdtemp(prefix="empathy-ce-kernel-")
            self._sandbox_folders.append(folder)
            # Unix sockets in a folder of the kernel's own: the only way in or out of its network namespace.
            self.transport, self.ip, self.cache_ports = "ipc", os.path.join(folder, "k"), False
            self.connection_file = os.path.join(folder, "kernel.json")
            self.kernel_spec.interrupt_mode = "message"
            env = sandbox_env(env)
        kwargs["env"] = env
        return await super()._async_pre_start_kernel(**kwargs)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        if self._isolating():
            kernel_cmd = self.sandboxed(kernel_cmd, kw.get("cwd") or os.getcwd(), kw["env"])
        await super()._async_launch_kernel(kernel_cmd, **kw)

    def sandboxed(self, kernel_cmd: list[str], cwd: str, env: dict[str, str]) -> list[str]:
        """The bubblewrap command line that runs kernel_cmd with only what a learner's kernel needs."""
        cwd = os.path.realpath(cwd)
        own = self._sandbox_folders[-1]
        python = shutil.which(kernel_cmd[0], path=env.get("PATH")) or kernel_cmd[0]
        readable = [p for p in python_folders(python, env.get("PYTHONPATH", ""))
                    # a folder holding the submission holds the course (keys, gradebook, other learners)
                    if not (cwd + os.sep).startswith(p.rstrip(os.sep) + os.sep)
                    and not p.startswith(tuple(f"/{name}/" for name in self.system_folders))]
        args = [shutil.which(self.bwrap) or self.bwrap, "--unshare-all", "--die-with-parent",
                *_root_entries(tuple(self.system_folders)),
                "--proc", "/proc", "--dev", "/dev", "--tmpfs", SANDBOX_TMP]
        for path in readable:
            args += ["--ro-bind", path, path]
        # Inside, the parent is the sandbox init (pid 1), which ipykernel must not poll; --die-with-parent does.
        args += ["--ro-bind", cwd, cwd, "--bind", own, own, "--chdir", cwd, "--setenv", "JPY_PARENT_PID", "1", "--"]
        return args + kernel_cmd

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            for folder in self._sandbox_folders:
                shutil.rmtree(folder, ignore_errors=True)
            self._sandbox_folders.clear()


def sandbox_env(env: dict[str, str]) -> dict[str, str]:
    """The kernel's environment: an allow-list of the grader's, with home and caches in the sandbox's /tmp."""
    kept = {k: v for k, v in env.items() if k in KEEP_ENV or k.startswith(KEEP_PREFIXES)}
    home = SANDBOX_TMP
    kept.update({"HOME": home, "TMPDIR": home, "IPYTHONDIR": f"{home}/.ipython", "MPLCONFIGDIR": f"{home}/.mpl",
                 "JUPYTER_CONFIG_DIR": f"{home}/.jupyter", "JUPYTER_DATA_DIR": f"{home}/.jupyter-data",
                 "JUPYTER_RUNTIME_DIR": f"{home}/.jupyter-runtime", "PYTHONSAFEPATH": "1"})
    kept.setdefault("PATH", "/usr/bin:/bin")
    return kept
